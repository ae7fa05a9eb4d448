"""resale: ownership proofs for listings (a hashed public token, validity, revocation, the transfer offered
from it) and the portal's own platform signing key

Revision ID: 0019_resale_proofs
Revises: 0018_scan_partitions
Create Date: 2026-12-07 10:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_resale_proofs'
down_revision = '0018_scan_partitions'
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values)))


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade():
    op.create_table(
        'ownership_proofs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('token_enc', sa.Text(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('ownership_id', sa.Integer(), nullable=False),
        sa.Column('serial_shown', _enum('serial_shown', 'full', 'masked'), nullable=False),
        sa.Column('include_service', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_because', _enum('proof_revoked_because', 'owner', 'stolen', 'transferred'), nullable=True),
        sa.Column('transfer_offer_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('expires_at > created_at', name=op.f('ck_ownership_proofs_expires_after_created')),
        _fk('ownership_proofs', 'unit_id', 'units'),
        _fk('ownership_proofs', 'ownership_id', 'ownerships'),
        _fk('ownership_proofs', 'transfer_offer_id', 'transfer_offers'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ownership_proofs')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_ownership_proofs_token_hash')),
    )
    with op.batch_alter_table('ownership_proofs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ownership_proofs_ownership_id'), ['ownership_id'], unique=False)
        batch_op.create_index('ix_ownership_proofs_unit_live', ['unit_id', 'revoked_at', 'expires_at'], unique=False)
    op.create_table(
        'platform_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kid', sa.String(length=24), nullable=False),
        sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
        sa.Column('private_key_enc', sa.Text(), nullable=False),
        sa.Column('state', _enum('platform_key_state', 'active', 'retired'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_keys')),
        sa.UniqueConstraint('kid', name=op.f('uq_platform_keys_kid')),
    )
    with op.batch_alter_table('platform_keys', schema=None) as batch_op:
        batch_op.create_index('uq_platform_keys_one_active', ['state'], unique=True,
                              sqlite_where=sa.text("state = 'active'"), postgresql_where=sa.text("state = 'active'"))


def downgrade():
    with op.batch_alter_table('platform_keys', schema=None) as batch_op:
        batch_op.drop_index('uq_platform_keys_one_active')
    op.drop_table('platform_keys')
    with op.batch_alter_table('ownership_proofs', schema=None) as batch_op:
        batch_op.drop_index('ix_ownership_proofs_unit_live')
        batch_op.drop_index(batch_op.f('ix_ownership_proofs_ownership_id'))
    op.drop_table('ownership_proofs')
