"""scans: partitioned by month on PostgreSQL (declarative range partitions on `at`, in the schema scan_months,
with a default partition); SQLite keeps one table

The worker makes the months ahead (portal.authenticity.partitions); retention drops whole months. The primary
key becomes (id, at), as a partitioned table's unique keys must hold the partition key; ids still come from
one sequence.

Revision ID: 0018_scan_partitions
Revises: 0017_passport
Create Date: 2026-12-07 08:40:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018_scan_partitions'
down_revision = '0017_passport'
branch_labels = None
depends_on = None

SCHEMA = 'scan_months'


def _month(moment, plus=0):
    index = moment.year * 12 + moment.month - 1 + plus
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    conn = op.get_bind()
    for statement in (
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
        "ALTER TABLE scans RENAME TO scans_unpartitioned",
        "ALTER TABLE scans_unpartitioned RENAME CONSTRAINT pk_scans TO pk_scans_unpartitioned",
        "ALTER TABLE scans_unpartitioned RENAME CONSTRAINT fk_scans_unit_id_units TO fk_scans_unpartitioned_unit",
        "ALTER INDEX ix_scans_unit_id_at RENAME TO ix_scans_unpartitioned_unit_id_at",
        ("CREATE TABLE scans (LIKE scans_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
         "PARTITION BY RANGE (at)"),
        "ALTER TABLE scans ADD CONSTRAINT pk_scans PRIMARY KEY (id, at)",
        "ALTER TABLE scans ADD CONSTRAINT fk_scans_unit_id_units FOREIGN KEY (unit_id) REFERENCES units (id)",
        "CREATE INDEX ix_scans_unit_id_at ON scans (unit_id, at)",
        "ALTER SEQUENCE scans_id_seq OWNED BY scans.id",
        f"CREATE TABLE {SCHEMA}.scans_default PARTITION OF scans DEFAULT",
    ):
        conn.execute(sa.text(statement))
    now = datetime.now(UTC)
    first = conn.execute(sa.text("SELECT min(at) FROM scans_unpartitioned")).scalar() or now
    start, last = _month(first), _month(now, 2)
    while start <= last:
        end = _month(start, 1)
        conn.execute(sa.text(f"CREATE TABLE {SCHEMA}.scans_y{start.year:04d}m{start.month:02d} PARTITION OF scans "
                             f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"))
        start = end
    conn.execute(sa.text("INSERT INTO scans SELECT * FROM scans_unpartitioned"))
    conn.execute(sa.text("DROP TABLE scans_unpartitioned"))


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    conn = op.get_bind()
    for statement in (
        "ALTER TABLE scans RENAME TO scans_partitioned",
        "ALTER TABLE scans_partitioned RENAME CONSTRAINT pk_scans TO pk_scans_partitioned",
        "ALTER TABLE scans_partitioned RENAME CONSTRAINT fk_scans_unit_id_units TO fk_scans_partitioned_unit",
        "ALTER INDEX ix_scans_unit_id_at RENAME TO ix_scans_partitioned_unit_id_at",
        "CREATE TABLE scans (LIKE scans_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
        "ALTER TABLE scans ADD CONSTRAINT pk_scans PRIMARY KEY (id)",
        "ALTER TABLE scans ADD CONSTRAINT fk_scans_unit_id_units FOREIGN KEY (unit_id) REFERENCES units (id)",
        "CREATE INDEX ix_scans_unit_id_at ON scans (unit_id, at)",
        "ALTER SEQUENCE scans_id_seq OWNED BY scans.id",
        "INSERT INTO scans SELECT * FROM scans_partitioned",
        "DROP TABLE scans_partitioned",
        f"DROP SCHEMA {SCHEMA} CASCADE",
    ):
        conn.execute(sa.text(statement))
