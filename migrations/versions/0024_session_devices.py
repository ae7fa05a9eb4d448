"""accounts: the device a session was signed in from (the hash of the browser's device cookie), so a sign-in
from a device new to the person is told to them by e-mail

Revision ID: 0024_session_devices
Revises: 0023_return_addresses
Create Date: 2026-12-07 10:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024_session_devices'
down_revision = '0023_return_addresses'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_sessions') as batch_op:
        batch_op.add_column(sa.Column('device_hash', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_user_sessions_user_id_device_hash', ['user_id', 'device_hash'], unique=False)


def downgrade():
    with op.batch_alter_table('user_sessions') as batch_op:
        batch_op.drop_index('ix_user_sessions_user_id_device_hash')
        batch_op.drop_column('device_hash')
