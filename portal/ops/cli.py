"""`flask --app portal backup create|restore`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from portal.ops.backup import BackupError, check_restorable, create_backup, current_rows, restore_backup


def register_ops_cli(app: Flask) -> None:
    backup = AppGroup("backup", help="Back up the database, or restore it from a backup.")

    @backup.command("create")
    @click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
    def backup_create(path: Path | None):
        """Write a consistent copy of the database and a manifest into PATH (a new folder)."""
        try:
            manifest = create_backup(path)
        except BackupError as err:
            raise click.ClickException(str(err)) from None
        rows = sum(manifest["tables"].values())
        click.echo(f"Backup written to {manifest['path']}: {manifest['database']} at revision "
                   f"{manifest['revision']}, {len(manifest['tables'])} tables, {rows} rows.")

    @backup.command("restore")
    @click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Overwrite the current database without asking.")
    def backup_restore(path: Path, yes: bool):
        """Replace the database with the backup in PATH (refused for a backup of a newer schema)."""
        try:
            manifest = check_restorable(path)
            existing = current_rows()
            if existing and not yes:
                click.confirm(f"The database holds {existing} rows, which the backup of {manifest['created_at']} "
                              f"will replace. Continue?", abort=True)
            report = restore_backup(path, manifest)
        except BackupError as err:
            raise click.ClickException(str(err)) from None
        click.echo(f"Restored {report['tables']} tables, {report['rows']} rows, at revision {report['revision']}; "
                   "the row counts match the manifest.")
        if report["behind"]:
            click.echo("The backup is of an older schema: run `flask --app portal db upgrade` now.")

    app.cli.add_command(backup)
