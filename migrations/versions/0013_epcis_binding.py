"""epcis: the REST binding's capture jobs, captured events as sent with their query fields and identifiers,
error declarations, and unit events linked to the EPCIS event they record

Revision ID: 0013_epcis_binding
Revises: 0012_notices_index
Create Date: 2026-12-07 07:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_epcis_binding'
down_revision = '0012_notices_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('epcis_capture_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('capture_id', sa.String(length=40), nullable=False),
    sa.Column('manufacturer_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('running', 'success', 'failure', name='epcis_job_state', native_enum=False, length=7,
                               create_constraint=True), nullable=False),
    sa.Column('behaviour', sa.String(length=10), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('report', sa.Text(), nullable=True),
    sa.Column('actor_label', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['manufacturer_id'], ['manufacturers.id'], name=op.f('fk_epcis_capture_jobs_manufacturer_id_manufacturers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epcis_capture_jobs')),
    sa.UniqueConstraint('capture_id', name=op.f('uq_epcis_capture_jobs_capture_id'))
    )
    with op.batch_alter_table('epcis_capture_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_epcis_capture_jobs_manufacturer_id'), ['manufacturer_id'], unique=False)

    with op.batch_alter_table('epcis_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disposition', sa.String(length=255), server_default='', nullable=False))
        batch_op.add_column(sa.Column('biz_location', sa.String(length=255), server_default='', nullable=False))
        batch_op.add_column(sa.Column('body', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('declared_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('declaration', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('capture_job_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_epcis_events_capture_job_id_epcis_capture_jobs'),
                                    'epcis_capture_jobs', ['capture_job_id'], ['id'])
        batch_op.create_index('ix_epcis_events_manufacturer_id_event_time', ['manufacturer_id', 'event_time'],
                              unique=False)

    op.create_table('epcis_event_epcs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_pk', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('epc', 'parent', 'input', 'output', name='epcis_epc_role', native_enum=False, length=6,
                              create_constraint=True), nullable=False),
    sa.Column('epc', sa.String(length=512), nullable=False),
    sa.ForeignKeyConstraint(['event_pk'], ['epcis_events.id'], name=op.f('fk_epcis_event_epcs_event_pk_epcis_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epcis_event_epcs'))
    )
    with op.batch_alter_table('epcis_event_epcs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_epcis_event_epcs_event_pk'), ['event_pk'], unique=False)
        batch_op.create_index('ix_epcis_event_epcs_epc_role', ['epc', 'role'], unique=False)

    with op.batch_alter_table('unit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('epcis_event_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('retracted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('retraction', sa.String(length=300), nullable=True))
        batch_op.create_index(batch_op.f('ix_unit_events_epcis_event_id'), ['epcis_event_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_unit_events_epcis_event_id_epcis_events'),
                                    'epcis_events', ['epcis_event_id'], ['id'])


def downgrade():
    with op.batch_alter_table('unit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_unit_events_epcis_event_id_epcis_events'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_unit_events_epcis_event_id'))
        batch_op.drop_column('retraction')
        batch_op.drop_column('retracted_at')
        batch_op.drop_column('epcis_event_id')
    op.drop_table('epcis_event_epcs')
    with op.batch_alter_table('epcis_events', schema=None) as batch_op:
        batch_op.drop_index('ix_epcis_events_manufacturer_id_event_time')
        batch_op.drop_constraint(batch_op.f('fk_epcis_events_capture_job_id_epcis_capture_jobs'), type_='foreignkey')
        batch_op.drop_column('capture_job_id')
        batch_op.drop_column('declaration')
        batch_op.drop_column('declared_at')
        batch_op.drop_column('body')
        batch_op.drop_column('biz_location')
        batch_op.drop_column('disposition')
    op.drop_table('epcis_capture_jobs')
