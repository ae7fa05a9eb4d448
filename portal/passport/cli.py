"""`flask passport ...`: the registry export and the signed backup copy from the command line."""
from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.catalog.models import Manufacturer
from portal.core.exports import csv_writer
from portal.core.work import found_for_cli, run_for_cli
from portal.extensions import db
from portal.passport import exports

passport_cli = AppGroup("passport", help="Digital product passports (docs/passport.md).")


def _tenant(slug: str) -> Manufacturer:
    return found_for_cli(db.session.scalar(select(Manufacturer).where(Manufacturer.slug == slug)),
                         f"No manufacturer {slug}.")


@passport_cli.command("registry")
@click.argument("tenant")
def registry(tenant: str) -> None:
    """Print the EU registry rows of TENANT's passports as CSV (ESPR Art. 13)."""
    writer = csv_writer(sys.stdout)
    writer.writerow(exports.REGISTRY_COLUMNS)
    for row in exports.registry_rows(_tenant(tenant)):
        writer.writerow([row[c] for c in exports.REGISTRY_COLUMNS])


@passport_cli.command("backup")
@click.argument("tenant")
@click.argument("out", type=click.File("w"))
def backup(tenant: str, out) -> None:
    """Write TENANT's signed backup copy (a flattened JWS) to OUT."""
    copy = run_for_cli(lambda: exports.backup_copy(_tenant(tenant)))
    json.dump(copy, out)
    click.echo(f"Backup copy written ({len(copy['payload'])} characters of payload).")
