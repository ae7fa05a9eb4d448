"""`flask --app portal keys ...` and `labels ...`: signing keys and signed label URIs from the command line."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.authenticity.keys import create_key, revoke_key, rotate_key
from portal.authenticity.labels import issue_label, label_for_printing, label_uri
from portal.authenticity.models import SigningKey
from portal.authenticity.sheets import count_selection, write_sheet
from portal.catalog.services import find_unit
from portal.core.errors import NotFound
from portal.extensions import db


def register_authenticity_cli(app, tenant_by_slug, run) -> None:
    keys = AppGroup("keys", help="Manufacturers' Ed25519 signing keys.")
    labels = AppGroup("labels", help="Signed labels (GS1 Digital Link QR codes).")

    @keys.command("create")
    @click.argument("slug")
    def keys_create(slug):
        """Generate the tenant's first signing key."""
        key = run(lambda: create_key(tenant_by_slug(slug), actor="cli"))
        click.echo(f"Created key {key.kid} for {slug}; it signs new labels from now on.")

    @keys.command("rotate")
    @click.argument("slug")
    def keys_rotate(slug):
        """Make a new active key; the previous one is retired and still verifies what it signed."""
        key = run(lambda: rotate_key(tenant_by_slug(slug), actor="cli"))
        click.echo(f"Key {key.kid} is now active for {slug}.")

    @keys.command("revoke")
    @click.argument("slug")
    @click.argument("kid")
    @click.option("--reason", required=True, help="Shown to everyone who scans a label this key signed.")
    def keys_revoke(slug, kid, reason):
        """Revoke a key: its labels verify as Not genuine from now on."""
        run(lambda: revoke_key(tenant_by_slug(slug), kid, reason, actor="cli"))
        click.echo(f"Key {kid} of {slug} is revoked.")

    @keys.command("list")
    @click.argument("slug")
    def keys_list(slug):
        """List a tenant's keys with their state."""
        tenant = tenant_by_slug(slug)
        for key in db.session.scalars(select(SigningKey).where(SigningKey.manufacturer_id == tenant.id)
                                      .order_by(SigningKey.id)):
            click.echo(f"{key.kid}  {key.state.value:<8} created {key.created_at:%Y-%m-%d}"
                       + (f"  revoked: {key.revoked_reason}" if key.revoked_reason else ""))

    @labels.command("sign")
    @click.argument("slug")
    @click.option("--gtin", required=True)
    @click.option("--serial", required=True)
    @click.option("--new", "fresh", is_flag=True, help="Issue a fresh label, withdrawing the unit's current one.")
    @click.option("--compressed", is_flag=True, help="Print the compressed Digital Link (a smaller QR code).")
    def labels_sign(slug, gtin, serial, fresh, compressed):
        """Print the signed label URI of a unit (its current label, or a first one)."""
        def work():
            tenant = tenant_by_slug(slug)
            unit = find_unit(gtin, serial)
            if unit.manufacturer_id != tenant.id:
                raise NotFound(f"{slug} has no unit with this GTIN and serial.")
            label = issue_label(unit, actor="cli") if fresh else label_for_printing(unit, actor="cli")
            return label_uri(unit.model.gtin, unit.serial, label, compressed=compressed)

        click.echo(run(work))

    @labels.command("sheet")
    @click.argument("slug")
    @click.option("--gtin", required=True, help="The product model.")
    @click.option("--lot", help="Only this lot.")
    @click.option("--from", "serial_from", help="First serial (inclusive).")
    @click.option("--to", "serial_to", help="Last serial (inclusive).")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="PDF file to write.")
    @click.option("--compressed", is_flag=True, help="Print compressed Digital Links (smaller QR codes).")
    def labels_sheet(slug, gtin, lot, serial_from, serial_to, out: Path, compressed):
        """Write a PDF label sheet for a selection of units, with a progress bar."""
        tenant = tenant_by_slug(slug)
        total = run(lambda: count_selection(tenant, gtin=gtin, lot=lot, serial_from=serial_from, serial_to=serial_to))
        with click.progressbar(length=total, label="Labels", file=sys.stderr) as bar, out.open("wb") as handle:
            written = run(lambda: write_sheet(tenant, handle, gtin=gtin, lot=lot, serial_from=serial_from,
                                              serial_to=serial_to, actor="cli", progress=bar.update,
                                              compressed=compressed))
        click.echo(f"{written} labels written to {out}.")

    app.cli.add_command(keys)
    app.cli.add_command(labels)
