"""`flask insights refresh`: bring the insights' summary up to date by hand (the worker does it each minute)."""
from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from portal.extensions import db
from portal.insights.refresh import refresh


@click.group("insights", help="The console's insights.")
def insights() -> None:
    pass


@insights.command("refresh")
@click.option("--full", is_flag=True, help="Rewrite every unit's facts from the tables, not only what changed.")
@with_appcontext
def refresh_command(full: bool) -> None:
    """Bring the summary the insight views read up to date."""
    started = time.perf_counter()
    done = refresh(full=full)
    db.session.commit()
    kind = "full" if done.full else "incremental"
    click.echo(f"insights: {kind} refresh wrote {done.units:,} units' facts in {time.perf_counter() - started:.1f} s "
               f"(data as of {done.at:%Y-%m-%d %H:%M} UTC)")
