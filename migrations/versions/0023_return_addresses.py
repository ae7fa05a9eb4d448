"""warranty: manufacturers' return addresses (one per country owners send from, and a default), and the
country a claim's owner sends from

Revision ID: 0023_return_addresses
Revises: 0022_epcis_jobs
Create Date: 2026-12-07 10:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023_return_addresses'
down_revision = '0022_epcis_jobs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'return_addresses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('manufacturer_id', sa.Integer(), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('lines', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['manufacturer_id'], ['manufacturers.id'], name=op.f('fk_return_addresses_manufacturer_id_manufacturers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_return_addresses')),
        sa.UniqueConstraint('manufacturer_id', 'country', name=op.f('uq_return_addresses_manufacturer_id_country')),
    )
    with op.batch_alter_table('return_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_addresses_manufacturer_id'), ['manufacturer_id'], unique=False)
    with op.batch_alter_table('warranty_claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('return_country', sa.String(length=2), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('warranty_claims', schema=None) as batch_op:
        batch_op.drop_column('return_country')
    with op.batch_alter_table('return_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_addresses_manufacturer_id'))
    op.drop_table('return_addresses')
