"""core: uploads staged on first receipt (a form that fails keeps its files; they expire after a day)

Revision ID: 0025_staged_uploads
Revises: 0024_session_devices
Create Date: 2026-12-07 11:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025_staged_uploads'
down_revision = '0024_session_devices'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'staged_uploads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('purpose', sa.String(length=40), nullable=False),
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('mime', sa.String(length=80), nullable=False),
        sa.Column('name', sa.String(length=160), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staged_uploads_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staged_uploads')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_staged_uploads_token_hash')),
    )
    with op.batch_alter_table('staged_uploads') as batch_op:
        batch_op.create_index(batch_op.f('ix_staged_uploads_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staged_uploads_created_at'), ['created_at'], unique=False)


def downgrade():
    op.drop_table('staged_uploads')
