"""resolver: links manufacturers publish at their products' Digital Links

Revision ID: 0014_resolver_links
Revises: 0013_epcis_binding
Create Date: 2026-12-07 07:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_resolver_links'
down_revision = '0013_epcis_binding'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'resolver_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('manufacturer_id', sa.Integer(), nullable=False),
        sa.Column('model_id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.Enum('model', 'lot', 'unit', name='link_scope', native_enum=False,
                                   create_constraint=True, length=5), nullable=False),
        sa.Column('lot', sa.String(length=20), nullable=True),
        sa.Column('link_type', sa.String(length=60), nullable=False),
        sa.Column('target', sa.String(length=1000), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('media_type', sa.String(length=100), nullable=False),
        sa.Column('context', sa.String(length=60), nullable=False),
        sa.Column('is_default', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("(scope = 'lot') = (lot IS NOT NULL)", name=op.f('ck_resolver_links_lot_only_for_lot_scope')),
        sa.ForeignKeyConstraint(['manufacturer_id'], ['manufacturers.id'],
                                name=op.f('fk_resolver_links_manufacturer_id_manufacturers')),
        sa.ForeignKeyConstraint(['model_id'], ['product_models.id'],
                                name=op.f('fk_resolver_links_model_id_product_models')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_resolver_links')),
    )
    with op.batch_alter_table('resolver_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resolver_links_manufacturer_id'), ['manufacturer_id'], unique=False)
        batch_op.create_index('ix_resolver_links_model_scope', ['model_id', 'scope'], unique=False)


def downgrade():
    with op.batch_alter_table('resolver_links', schema=None) as batch_op:
        batch_op.drop_index('ix_resolver_links_model_scope')
        batch_op.drop_index(batch_op.f('ix_resolver_links_manufacturer_id'))
    op.drop_table('resolver_links')
