"""privacy: erased accounts, and recall units whose owner was erased

Revision ID: 0008_privacy
Revises: 0007_security
Create Date: 2026-11-27 04:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_privacy'
down_revision = '0007_security'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('recall_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_erased_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('recall_units', schema=None) as batch_op:
        batch_op.drop_column('owner_erased_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
