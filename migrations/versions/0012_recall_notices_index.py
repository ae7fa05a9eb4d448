"""recall notices: drop the index on campaign_id alone; the unique (campaign_id, user_id, kind, round) serves it

Every index is written once per notice at launch, and this one duplicated the unique constraint's prefix.

Revision ID: 0012_notices_index
Revises: 0011_locale
Create Date: 2026-11-27 05:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_notices_index'
down_revision = '0011_locale'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recall_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recall_notices_campaign_id'))


def downgrade():
    with op.batch_alter_table('recall_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recall_notices_campaign_id'), ['campaign_id'], unique=False)
