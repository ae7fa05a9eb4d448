"""How long scan telemetry is kept: scans older than the retention are deleted in one statement."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from portal.authenticity.models import Scan
from portal.core.db import utcnow
from portal.core.errors import Invalid
from portal.extensions import db


def purge_scans(older_than_days: int) -> int:
    """Delete scans recorded more than `older_than_days` days ago; returns how many went.

    Clone detection looks back minutes to hours, so old scans serve only trends; the console's figures
    past the retention simply stop."""
    if not isinstance(older_than_days, int) or older_than_days < 1:
        raise Invalid("Keep scans for at least one day.")
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = db.session.execute(delete(Scan).where(Scan.at < cutoff).execution_options(synchronize_session=False))
    return result.rowcount or 0
