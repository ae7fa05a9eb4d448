"""Scans by month on PostgreSQL: the worker makes the months ahead, retention drops whole months, and clone
detection reads only the recent ones. On SQLite scans stay one table and retention deletes rows."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text

from portal.authenticity.models import Scan
from portal.authenticity.partitions import (
    SCHEMA,
    drop_months_before,
    ensure_scan_partitions,
    is_partitioned,
    month_partitions,
)
from portal.core.db import utcnow
from portal.extensions import db
from portal.privacy.retention import purge_scans
from tests.support.db import DB_KIND

pg_only = pytest.mark.skipif(DB_KIND != "postgresql", reason="SQLite keeps scans in one table")


def add_scans(*moments: datetime) -> None:
    db.session.execute(insert(Scan), [{"at": at, "verdict": "genuine", "channel": "qr", "reason": "", "client": "c",
                                       "by_owner": False} for at in moments])
    db.session.flush()


def where_rows_are() -> dict[str, int]:
    return dict(db.session.execute(text("SELECT tableoid::regclass::text, count(*) FROM scans GROUP BY 1")).all())


@pg_only
def test_the_worker_makes_months_ahead_and_a_month_takes_its_rows_from_the_default(ctx):
    assert is_partitioned()
    far = datetime(2031, 5, 17, 12, tzinfo=UTC)
    add_scans(far)  # no month partition so far ahead: the default one takes it
    assert where_rows_are() == {f"{SCHEMA}.scans_default": 1}

    made = ensure_scan_partitions(now=far, ahead=2)
    assert made == ["scans_y2031m05", "scans_y2031m06", "scans_y2031m07"]
    assert where_rows_are() == {f"{SCHEMA}.scans_y2031m05": 1}, "the month took its row from the default"
    assert ensure_scan_partitions(now=far, ahead=2) == [], "made once"
    add_scans(far + timedelta(days=31))
    assert where_rows_are()[f"{SCHEMA}.scans_y2031m06"] == 1
    db.session.commit()
    # The models and the migrations still agree: the months live in their own schema.
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 2


@pg_only
def test_the_migration_made_this_month_and_two_ahead(ctx):
    now = utcnow()
    names = month_partitions()
    this = f"scans_y{now.year:04d}m{now.month:02d}"
    assert this in names and len([n for n in names if n >= this]) >= 3


@pg_only
def test_retention_drops_whole_months_and_deletes_only_in_the_month_of_the_cutoff(ctx):
    now = utcnow()
    ensure_scan_partitions(now=now - timedelta(days=150), ahead=6)
    old, older, recent = now - timedelta(days=120), now - timedelta(days=100), now - timedelta(days=2)
    add_scans(old, old, older, recent)
    db.session.commit()
    before = set(month_partitions())
    old_month = f"scans_y{old.year:04d}m{old.month:02d}"
    assert old_month in before

    db.session.execute(text(f"ANALYZE {SCHEMA}.{old_month}"))  # the estimate retention reports
    gone = purge_scans(60)
    db.session.commit()
    assert gone == 3
    after = set(month_partitions())
    assert old_month not in after and f"scans_y{recent.year:04d}m{recent.month:02d}" in after
    assert all(name > old_month for name in after), "every month wholly past the retention is dropped"
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 1
    assert drop_months_before(now - timedelta(days=60)) == {}


@pg_only
def test_clone_detection_reads_only_the_recent_months(ctx):
    now = utcnow()
    ensure_scan_partitions(now=now - timedelta(days=100), ahead=5)
    db.session.commit()
    plan = "\n".join(db.session.scalars(text(
        "EXPLAIN SELECT count(DISTINCT client) FROM scans WHERE unit_id = 1 AND at >= :since"),
        {"since": now - timedelta(minutes=60)}))
    read = {name for name in month_partitions() if name in plan}
    months_touched = {f"scans_y{m.year:04d}m{m.month:02d}" for m in (now - timedelta(minutes=60), now)}
    assert read and read <= months_touched | {name for name in month_partitions() if name > max(months_touched)}
    assert f"scans_y{(now - timedelta(days=95)).year:04d}m{(now - timedelta(days=95)).month:02d}" not in plan


def test_retention_deletes_old_scans_and_keeps_recent_ones_on_every_database(ctx):
    now = utcnow()
    add_scans(now - timedelta(days=400), now - timedelta(days=3))
    db.session.commit()
    assert purge_scans(30) == 1
    db.session.commit()
    assert db.session.scalars(select(Scan.at)).all()[0] > now - timedelta(days=4)
