"""`flask --app portal epcis import SLUG FILE`: capture an EPCIS document from a file, as the API does."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from portal.catalog.epcis.capture import CaptureRefused, capture_document


def register_epcis_cli(app: Flask, tenant_of, run) -> None:
    epcis = AppGroup("epcis", help="EPCIS 2.0 event capture.")

    @epcis.command("import")
    @click.argument("slug")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--atomic", is_flag=True, help="Refuse the whole document when any event fails.")
    def epcis_import(slug, file: Path, atomic: bool):
        """Capture an EPCIS 2.0 document (JSON or JSON-LD); failed events are listed, the others kept."""
        tenant = tenant_of(slug)
        try:
            document = json.loads(file.read_bytes())
        except (ValueError, UnicodeDecodeError, RecursionError) as err:
            raise click.ClickException(f"{file.name} is not JSON: {str(err)[:200]}") from None
        def work():
            try:
                return capture_document(tenant, document, atomic=atomic, actor="cli")
            except CaptureRefused as refused:  # nothing was written; say which events failed, then exit 1
                return refused

        report = run(work)
        if isinstance(report, CaptureRefused):
            for error in report.report.errors:
                click.echo(f"  event {error['index']} ({error['event_id'] or 'no eventID'}): {error['detail']}")
            raise click.ClickException(str(report))
        click.echo(f"{report.accepted} of {report.events} events captured, {report.duplicates} duplicates, "
                   f"{len(report.errors)} rejected; {report.units_created} units commissioned, "
                   f"{report.unit_events} unit events recorded.")
        for error in report.errors:
            click.echo(f"  event {error['index']} ({error['event_id'] or 'no eventID'}): {error['detail']}")

    app.cli.add_command(epcis)
