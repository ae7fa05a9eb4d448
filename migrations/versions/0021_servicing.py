"""servicing: service history entries, and the service-partner staff role

Revision ID: 0021_servicing
Revises: 0020_insights_summary
Create Date: 2026-12-07 10:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021_servicing'
down_revision = '0020_insights_summary'
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('admin', 'claims_agent', 'recall_manager', 'analyst')"
NEW_ROLES = "role IN ('admin', 'claims_agent', 'recall_manager', 'analyst', 'service_partner')"


def _roles(check: str, length: int, old_length: int) -> None:
    with op.batch_alter_table('staff_memberships', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_staff_memberships_staff_role'), type_='check')
        batch_op.alter_column('role', existing_type=sa.String(length=old_length), type_=sa.String(length=length),
                              existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_staff_memberships_staff_role'), sa.text(check))


def upgrade():
    _roles(NEW_ROLES, 15, 14)
    op.create_table(
        'service_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('manufacturer_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('performed_on', sa.Date(), nullable=False),
        sa.Column('kind', sa.Enum('service', 'repair', 'part_replaced', 'polish', 'battery', name='service_kind',
                                  native_enum=False, create_constraint=True, length=13), nullable=False),
        sa.Column('part_serial', sa.String(length=40), nullable=True),
        sa.Column('centre', sa.String(length=120), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('document_key', sa.String(length=80), nullable=True),
        sa.Column('document_mime', sa.String(length=60), nullable=True),
        sa.Column('document_name', sa.String(length=160), nullable=True),
        sa.Column('document_size', sa.Integer(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_via', sa.Enum('console', 'api', name='service_recorded_via', native_enum=False,
                                          create_constraint=True, length=7), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(kind = 'part_replaced') = (part_serial IS NOT NULL)",
                           name=op.f('ck_service_entries_part_serial_iff_part')),
        sa.CheckConstraint('(document_key IS NULL) = (document_mime IS NULL)',
                           name=op.f('ck_service_entries_document_whole')),
        sa.ForeignKeyConstraint(['manufacturer_id'], ['manufacturers.id'],
                                name=op.f('fk_service_entries_manufacturer_id_manufacturers')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_service_entries_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_service_entries_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_entries')),
    )
    with op.batch_alter_table('service_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_entries_manufacturer_id'), ['manufacturer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_entries_unit_id'), ['unit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('service_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_entries_unit_id'))
        batch_op.drop_index(batch_op.f('ix_service_entries_manufacturer_id'))
    op.drop_table('service_entries')
    op.execute("DELETE FROM staff_memberships WHERE role = 'service_partner'")
    _roles(OLD_ROLES, 14, 15)
