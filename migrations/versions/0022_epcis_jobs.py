"""epcis: capture jobs run in the background: the spooled document, where its events are, progress, runs
and heartbeats

Revision ID: 0022_epcis_jobs
Revises: 0021_servicing
Create Date: 2026-12-07 10:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022_epcis_jobs'
down_revision = '0021_servicing'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('epcis_capture_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_key', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=80), server_default='', nullable=False))
        batch_op.add_column(sa.Column('events_done', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('epcis_capture_jobs', schema=None) as batch_op:
        for column in ('heartbeat_at', 'started_at', 'attempts', 'events_done', 'source', 'file_key'):
            batch_op.drop_column(column)
