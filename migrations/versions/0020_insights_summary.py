"""insights: a summary of facts per unit kept by the worker; the country of a sale and of an owner; the cost
of a warranty claim recorded when the desk closes it

Revision ID: 0020_insights_summary
Revises: 0019_resale_proofs
Create Date: 2026-12-07 10:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020_insights_summary'
down_revision = '0019_resale_proofs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'insight_unit_facts',
        sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('manufacturer_id', sa.Integer(), nullable=False),
        sa.Column('model_id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=30), nullable=False),
        sa.Column('made', sa.Integer(), nullable=True),
        sa.Column('made_m', sa.Integer(), nullable=True),
        sa.Column('sale', sa.Integer(), nullable=True),
        sa.Column('sale_m', sa.Integer(), nullable=True),
        sa.Column('shop', sa.String(length=200), nullable=True),
        sa.Column('sale_country', sa.String(length=2), nullable=True),
        sa.Column('registered', sa.Integer(), nullable=True),
        sa.Column('registered_m', sa.Integer(), nullable=True),
        sa.Column('purchased', sa.Integer(), nullable=True),
        sa.Column('purchased_m', sa.Integer(), nullable=True),
        sa.Column('retailer', sa.String(length=160), nullable=True),
        sa.Column('owner_country', sa.String(length=2), nullable=True),
        sa.PrimaryKeyConstraint('unit_id'),
    )
    op.create_index('ix_insight_unit_facts_tenant', 'insight_unit_facts', ['manufacturer_id', 'model_id'],
                    unique=False)
    op.create_table(
        'insight_refresh_state',
        sa.Column('name', sa.String(length=20), nullable=False),
        sa.Column('unit_id', sa.BigInteger(), nullable=False),
        sa.Column('event_id', sa.BigInteger(), nullable=False),
        sa.Column('ownership_id', sa.BigInteger(), nullable=False),
        sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('units', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    with op.batch_alter_table('unit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=True))
    with op.batch_alter_table('ownerships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=True))
    with op.batch_alter_table('warranty_claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost_amount', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('cost_currency', sa.String(length=3), nullable=True))


def downgrade():
    with op.batch_alter_table('warranty_claims', schema=None) as batch_op:
        batch_op.drop_column('cost_currency')
        batch_op.drop_column('cost_amount')
    with op.batch_alter_table('ownerships', schema=None) as batch_op:
        batch_op.drop_column('country')
    with op.batch_alter_table('unit_events', schema=None) as batch_op:
        batch_op.drop_column('country')
    op.drop_table('insight_refresh_state')
    op.drop_index('ix_insight_unit_facts_tenant', table_name='insight_unit_facts')
    op.drop_table('insight_unit_facts')
