"""passport: the kind of a model's passport, append-only versions of passport data per model, lot and unit,
lifecycle links between passports, and reading rights for the higher tiers

Revision ID: 0017_passport
Revises: 0016_outbox_topic
Create Date: 2026-12-07 08:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_passport'
down_revision = '0016_outbox_topic'
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values)))


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade():
    op.create_table(
        'passport_models',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('manufacturer_id', sa.Integer(), nullable=False),
        sa.Column('model_id', sa.Integer(), nullable=False),
        sa.Column('kind', _enum('passport_kind', 'battery', 'generic'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        _fk('passport_models', 'manufacturer_id', 'manufacturers'),
        _fk('passport_models', 'model_id', 'product_models'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_passport_models')),
        sa.UniqueConstraint('model_id', name=op.f('uq_passport_models_model_id')),
    )
    with op.batch_alter_table('passport_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passport_models_manufacturer_id'), ['manufacturer_id'], unique=False)
    op.create_table(
        'passport_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('manufacturer_id', sa.Integer(), nullable=False),
        sa.Column('model_id', sa.Integer(), nullable=False),
        sa.Column('subject', _enum('passport_subject', 'model', 'lot', 'unit'), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('changed', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_label', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        _fk('passport_versions', 'manufacturer_id', 'manufacturers'),
        _fk('passport_versions', 'model_id', 'product_models'),
        _fk('passport_versions', 'actor_id', 'users'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_passport_versions')),
        sa.UniqueConstraint('subject', 'subject_id', 'number', name='uq_passport_versions_number'),
    )
    with op.batch_alter_table('passport_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passport_versions_manufacturer_id'), ['manufacturer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_passport_versions_model_id'), ['model_id'], unique=False)
    op.create_table(
        'passport_lifecycles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('manufacturer_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('predecessor_unit_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('ceased_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ceased_note', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        _fk('passport_lifecycles', 'manufacturer_id', 'manufacturers'),
        _fk('passport_lifecycles', 'unit_id', 'units'),
        _fk('passport_lifecycles', 'predecessor_unit_id', 'units'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_passport_lifecycles')),
        sa.UniqueConstraint('unit_id', name=op.f('uq_passport_lifecycles_unit_id')),
        sa.UniqueConstraint('predecessor_unit_id', name=op.f('uq_passport_lifecycles_predecessor_unit_id')),
    )
    with op.batch_alter_table('passport_lifecycles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passport_lifecycles_manufacturer_id'), ['manufacturer_id'],
                              unique=False)
    op.create_table(
        'passport_grants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('manufacturer_id', sa.Integer(), nullable=True),
        sa.Column('tier', _enum('passport_grant_tier', 'legitimate_interest', 'authority'), nullable=False),
        sa.Column('role', sa.String(length=40), nullable=False),
        sa.Column('granted_by_id', sa.Integer(), nullable=True),
        sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        _fk('passport_grants', 'user_id', 'users'),
        _fk('passport_grants', 'manufacturer_id', 'manufacturers'),
        _fk('passport_grants', 'granted_by_id', 'users'),
        _fk('passport_grants', 'revoked_by_id', 'users'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_passport_grants')),
    )
    with op.batch_alter_table('passport_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passport_grants_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_passport_grants_manufacturer_id'), ['manufacturer_id'], unique=False)


def downgrade():
    for table in ('passport_grants', 'passport_lifecycles', 'passport_versions', 'passport_models'):
        op.drop_table(table)
