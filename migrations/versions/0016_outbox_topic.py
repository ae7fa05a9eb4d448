"""outbox: a topic per message (the cause it belongs to, e.g. a recall campaign), indexed with the state

Other areas count and withdraw their messages by topic instead of matching dedupe keys. Recall notices
already queued get their campaign's topic, "recall:<campaign id>".

Revision ID: 0016_outbox_topic
Revises: 0015_recalls_gpsr
Create Date: 2026-12-07 08:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_outbox_topic'
down_revision = '0015_recalls_gpsr'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sa.String(length=120), server_default='', nullable=False))
        batch_op.create_index('ix_notifications_topic_state', ['topic', 'state'], unique=False)
    conn = op.get_bind()
    for (campaign_id,) in conn.execute(sa.text("SELECT id FROM recall_campaigns")):
        conn.execute(sa.text("UPDATE notifications SET topic = :topic WHERE dedupe_key LIKE :prefix"),
                     {"topic": f"recall:{campaign_id}", "prefix": f"recall:{campaign_id}:%"})


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_topic_state')
        batch_op.drop_column('topic')
