"""How long scan telemetry is kept: scans older than the retention go. On PostgreSQL, where scans are
partitioned by month (portal.authenticity.partitions), every month wholly past the retention is dropped as
a table; only the month the cutoff falls in loses rows by DELETE. On SQLite, one DELETE."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from portal.authenticity.models import Scan
from portal.authenticity.partitions import drop_months_before
from portal.core.db import utcnow
from portal.core.errors import Invalid
from portal.extensions import db


def purge_scans(older_than_days: int) -> int:
    """Delete scans recorded more than `older_than_days` days ago; returns how many went (for months dropped
    whole, PostgreSQL's estimate of their rows: counting them would read them all).

    Clone detection looks back minutes to hours, so old scans serve only trends; the console's figures
    past the retention simply stop."""
    if not isinstance(older_than_days, int) or older_than_days < 1:
        raise Invalid("Keep scans for at least one day.")
    cutoff = utcnow() - timedelta(days=older_than_days)
    dropped = sum(drop_months_before(cutoff).values())
    result = db.session.execute(delete(Scan).where(Scan.at < cutoff).execution_options(synchronize_session=False))
    return dropped + (result.rowcount or 0)
