"""Scans by month on PostgreSQL: declarative range partitions of `scans` on `at`, made ahead by the worker.

The partitions live in the schema SCHEMA, one per month (`scans_y2026m12`), beside a default partition that
catches a scan no month partition takes (one made before the worker first ran, or with a clock far ahead); a
month created later takes its rows from the default. Queries name only `scans`: PostgreSQL reads the months a
query's `at` range can touch (clone detection looks back minutes: this month's partition, at most two), and
retention drops whole months (privacy.retention). SQLite keeps one table; everything here is then a no-op.
"""
from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import text

from portal.core.db import utcnow
from portal.extensions import db

SCHEMA = "scan_months"
#: Months made ahead of the current one, so a scan never waits for a partition.
MONTHS_AHEAD = 2


def is_partitioned() -> bool:
    if db.session.get_bind().dialect.name != "postgresql":
        return False
    return db.session.scalar(text("SELECT relkind = 'p' FROM pg_class WHERE oid = 'public.scans'::regclass"))


def month_start(moment: datetime, plus: int = 0) -> datetime:
    index = moment.year * 12 + moment.month - 1 + plus
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"scans_y{start.year:04d}m{start.month:02d}"


#: How often the worker checks that the months ahead exist (seconds).
CHECK_EVERY = 600
_last_check = [float("-inf")]


def check_due() -> bool:
    """True at most once per CHECK_EVERY seconds in this process: time for the worker to ensure the months."""
    if time.monotonic() - _last_check[0] < CHECK_EVERY:
        return False
    _last_check[0] = time.monotonic()
    return True


def month_partitions() -> dict[str, datetime]:
    """{name: first moment of its month} of the month partitions that exist."""
    names = db.session.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'public.scans'::regclass AND c.relname LIKE 'scans_y%'"))
    return {name: datetime(int(name[7:11]), int(name[12:14]), 1, tzinfo=UTC) for name in names}


def ensure_scan_partitions(now: datetime | None = None, ahead: int = MONTHS_AHEAD) -> list[str]:
    """Make the partitions of this month and `ahead` more that are missing; returns their names. Each is
    built apart, given the default partition's rows of its month, then attached (ATTACH takes a lock that
    lets scans go on being written). The caller commits."""
    if not is_partitioned():
        return []
    now = now or utcnow()
    existing = month_partitions()
    made = []
    for plus in range(ahead + 1):
        start, end = month_start(now, plus), month_start(now, plus + 1)
        name = partition_name(start)
        if name in existing:
            continue
        bounds = {"lo": start, "hi": end}
        db.session.execute(text(f"CREATE TABLE {SCHEMA}.{name} (LIKE public.scans INCLUDING DEFAULTS "
                                "INCLUDING CONSTRAINTS)"))
        db.session.execute(text(f"WITH moved AS (DELETE FROM {SCHEMA}.scans_default WHERE at >= :lo AND at < :hi "
                                f"RETURNING *) INSERT INTO {SCHEMA}.{name} SELECT * FROM moved"), bounds)
        db.session.execute(text(f"ALTER TABLE public.scans ATTACH PARTITION {SCHEMA}.{name} "
                                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"))
        made.append(name)
    return made


def drop_months_before(cutoff: datetime) -> dict[str, int]:
    """Drop the month partitions that end at or before `cutoff` (every row in them is older); returns
    {name: PostgreSQL's estimate of its rows} (exact counts would read every row). The caller commits."""
    if not is_partitioned():
        return {}
    gone = {}
    for name, start in sorted(month_partitions().items(), key=lambda item: item[1]):
        if month_start(start, 1) <= cutoff:
            gone[name] = max(0, int(db.session.scalar(text(
                "SELECT reltuples FROM pg_class WHERE oid = CAST(:name AS regclass)"), {"name": f"{SCHEMA}.{name}"})))
            db.session.execute(text(f"DROP TABLE {SCHEMA}.{name}"))
    return gone
