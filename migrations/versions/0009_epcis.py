"""epcis: the eventIDs of captured EPCIS events, unique per tenant

Revision ID: 0009_epcis
Revises: 0008_privacy
Create Date: 2026-11-27 04:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_epcis'
down_revision = '0008_privacy'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('epcis_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('manufacturer_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=True),
    sa.Column('biz_step', sa.String(length=255), nullable=False),
    sa.Column('event_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.CheckConstraint('units >= 0', name=op.f('ck_epcis_events_units_not_negative')),
    sa.ForeignKeyConstraint(['manufacturer_id'], ['manufacturers.id'], name=op.f('fk_epcis_events_manufacturer_id_manufacturers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epcis_events')),
    sa.UniqueConstraint('manufacturer_id', 'event_id', name=op.f('uq_epcis_events_manufacturer_id_event_id'))
    )


def downgrade():
    op.drop_table('epcis_events')
