"""Scan telemetry retention: `flask --app portal privacy purge-scans --older-than DAYS`."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal.authenticity.models import Scan
from portal.core.db import utcnow
from portal.extensions import db


def scans_aged(app, *days: int) -> None:
    with app.app_context():
        now = utcnow()
        db.session.add_all(Scan(verdict="genuine", client=f"c{d}", at=now - timedelta(days=d), lat=46.2, lon=6.1)
                           for d in days)
        db.session.commit()


def remaining_ages(app) -> list[int]:
    with app.app_context():
        now = utcnow()
        return sorted(round((now - at).total_seconds() / 86400) for at in db.session.scalars(select(Scan.at)))


def test_purge_deletes_only_scans_older_than_the_retention(app):
    scans_aged(app, 0, 5, 29, 31, 400)
    result = app.test_cli_runner().invoke(args=["privacy", "purge-scans", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2 scans older than 30 days" in result.output
    assert remaining_ages(app) == [0, 5, 29]


def test_purge_defaults_to_the_configured_retention(app):
    scans_aged(app, 1, app.config["SCAN_RETENTION_DAYS"] + 1)
    result = app.test_cli_runner().invoke(args=["privacy", "purge-scans"])
    assert result.exit_code == 0 and "Deleted 1 scan " in result.output
    assert remaining_ages(app) == [1]


def test_purge_refuses_a_retention_below_one_day(app):
    scans_aged(app, 0, 2)
    result = app.test_cli_runner().invoke(args=["privacy", "purge-scans", "--older-than", "0"])
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Scan)) == 2
