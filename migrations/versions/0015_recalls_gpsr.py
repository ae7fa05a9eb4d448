"""recalls: the GPSR notice, the unit of remedy's holder, the owner's remedy choice, safety-only contacts,
regulators' facts; manufacturers declare whether their identifiers are case-insensitive

Revision ID: 0015_recalls_gpsr
Revises: 0014_resolver_links
Create Date: 2026-12-07 07:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_recalls_gpsr'
down_revision = '0014_resolver_links'
branch_labels = None
depends_on = None

CAMPAIGN_TEXT = ('product_description', 'identifier_location', 'sold_where', 'sold_by', 'share_request',
                 'incidents', 'chronology')


def upgrade():
    with op.batch_alter_table('manufacturers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identifiers_case_insensitive', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('recall_campaigns', schema=None) as batch_op:
        for name in CAMPAIGN_TEXT:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('product_image', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('identifier_image', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('sold_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('sold_to', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('countries', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('stop_using', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('remedies', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_url', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('determined_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('units_sold', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('report_edits', sa.Text(), nullable=False, server_default='{}'))
    with op.batch_alter_table('recall_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holder_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('remedy_choice', sa.String(length=12), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('scheduled_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('remedy_kind', sa.String(length=12), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_recall_units_holder_id'), ['holder_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_recall_units_holder_id_units'), 'units', ['holder_id'], ['id'])
    op.create_table(
        'recall_safety_contacts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('manufacturer_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('locale', sa.String(length=5), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['manufacturer_id'], ['manufacturers.id'],
                                name=op.f('fk_recall_safety_contacts_manufacturer_id_manufacturers')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_recall_safety_contacts_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recall_safety_contacts')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_recall_safety_contacts_token_hash')),
        sa.UniqueConstraint('unit_id', 'email', name=op.f('uq_recall_safety_contacts_unit_id_email')),
    )
    with op.batch_alter_table('recall_safety_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recall_safety_contacts_manufacturer_id'), ['manufacturer_id'],
                              unique=False)


def downgrade():
    op.drop_table('recall_safety_contacts')
    with op.batch_alter_table('recall_units', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_recall_units_holder_id_units'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_recall_units_holder_id'))
        for name in ('remedy_kind', 'scheduled_on', 'remedy_choice', 'holder_id'):
            batch_op.drop_column(name)
    with op.batch_alter_table('recall_campaigns', schema=None) as batch_op:
        for name in ('report_edits', 'units_sold', 'determined_on', 'contact_url', 'contact_phone', 'remedies',
                     'stop_using', 'countries', 'sold_to', 'sold_from', 'identifier_image', 'product_image',
                     *CAMPAIGN_TEXT):
            batch_op.drop_column(name)
    with op.batch_alter_table('manufacturers', schema=None) as batch_op:
        batch_op.drop_column('identifiers_case_insensitive')
