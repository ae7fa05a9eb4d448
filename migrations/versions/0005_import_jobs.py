"""import jobs: uploaded CSVs of units imported in the background, with progress and an error report

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 03:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('manufacturer_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('file_key', sa.String(length=80), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='import_state', native_enum=False, create_constraint=True, length=7), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('error_report_key', sa.String(length=80), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('rows_total >= 0 AND rows_done >= 0 AND added >= 0 AND unchanged >= 0 AND rejected >= 0', name=op.f('ck_import_jobs_counts_not_negative')),
    sa.ForeignKeyConstraint(['manufacturer_id'], ['manufacturers.id'], name=op.f('fk_import_jobs_manufacturer_id_manufacturers')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_import_jobs_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs'))
    )
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_jobs_manufacturer_id'), ['manufacturer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_jobs_manufacturer_id'))

    op.drop_table('import_jobs')
