"""`flask --app portal privacy ...`: retention housekeeping an operator runs from cron."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.core.work import run_for_cli
from portal.privacy.retention import purge_scans


def register(app: Flask) -> None:
    privacy = AppGroup("privacy", help="Retention of personal data and telemetry.")

    @privacy.command("purge-scans")
    @click.option("--older-than", "days", type=click.IntRange(min=1), default=None,
                  help="Delete scans older than this many days (default: SCAN_RETENTION_DAYS).")
    def purge_scans_command(days):
        """Delete scan records past their retention, in one statement."""
        days = days or current_app.config["SCAN_RETENTION_DAYS"]
        removed = run_for_cli(lambda: purge_scans(days))
        click.echo(f"Deleted {removed} scan{'s' if removed != 1 else ''} older than {days} days.")

    app.cli.add_command(privacy)
