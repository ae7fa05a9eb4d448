"""marketplace: platform-level API clients of marketplaces and dealers, and their webhook subscriptions to
ownership proofs' status changes

Revision ID: 0026_marketplace
Revises: 0025_staged_uploads
Create Date: 2026-12-07 10:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026_marketplace'
down_revision = '0025_staged_uploads'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'marketplace_clients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('scopes', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('expires_at > created_at', name=op.f('ck_marketplace_clients_expires_after_created')),
        sa.CheckConstraint('length(secret_hash) = 64', name=op.f('ck_marketplace_clients_secret_hash_sha256')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_marketplace_clients')),
        sa.UniqueConstraint('prefix', name=op.f('uq_marketplace_clients_prefix')),
    )
    op.create_table(
        'webhook_subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('proof_id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=254), nullable=False),
        sa.Column('secret_enc', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_state', sa.String(length=20), nullable=False),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['marketplace_clients.id'],
                                name=op.f('fk_webhook_subscriptions_client_id_marketplace_clients')),
        sa.ForeignKeyConstraint(['proof_id'], ['ownership_proofs.id'],
                                name=op.f('fk_webhook_subscriptions_proof_id_ownership_proofs')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscriptions')),
    )
    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_subscriptions_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_subscriptions_proof_id'), ['proof_id'], unique=False)


def downgrade():
    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_subscriptions_proof_id'))
        batch_op.drop_index(batch_op.f('ix_webhook_subscriptions_client_id'))
    op.drop_table('webhook_subscriptions')
    op.drop_table('marketplace_clients')
