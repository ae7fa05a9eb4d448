"""`flask nfc attach|replace|retire SLUG --gtin G --serial S ...`: tags on units that already exist."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.authenticity.nfc import SunError
from portal.authenticity.nfc_cli import _key
from portal.authenticity.tags import attach_tag, replace_tag, retire_tag
from portal.catalog.services import find_unit
from portal.core.errors import Invalid, NotFound


def _hex_key(option: str, text: str | None) -> bytes | None:
    try:
        return _key(option, text)
    except SunError as err:
        raise Invalid(str(err)) from None


def register_tag_commands(nfc: AppGroup, tenant_by_slug, run) -> None:
    def unit_of(slug: str, gtin: str, serial: str):
        tenant, unit = tenant_by_slug(slug), find_unit(gtin, serial)
        if unit.manufacturer_id != tenant.id:
            raise NotFound(f"{slug} has no unit with this GTIN and serial.")
        return unit

    def fit(service, slug, gtin, serial, uid, meta_key, file_key):
        def work():
            unit = unit_of(slug, gtin, serial)
            service(unit, uid, meta_key=_hex_key("--meta-key", meta_key), file_key=_hex_key("--file-key", file_key),
                    actor="cli")
            return unit.nfc_uid

        attached = run(work)
        keys = "its own keys (stored encrypted)" if meta_key else "keys derived from the master key"
        click.echo(f"Tag {attached} is on {gtin} / {serial}, with {keys}. Write the URL of docs/nfc.md into it.")

    for name, service, words in (("attach", attach_tag, "Fit a tag to an existing unit that has none."),
                                 ("replace", replace_tag, "Swap an existing unit's tag for another.")):
        @nfc.command(name, help=words + " Without --meta-key/--file-key the keys are derived from the "
                                        "tenant's NFC master key.")
        @click.argument("slug")
        @click.option("--gtin", required=True)
        @click.option("--serial", required=True)
        @click.option("--uid", required=True, help="The tag's UID, 14 hex digits.")
        @click.option("--meta-key", metavar="HEX", help="K_SDMMetaRead of this tag, 32 hex digits.")
        @click.option("--file-key", metavar="HEX", help="K_SDMFileRead of this tag, 32 hex digits.")
        def command(slug, gtin, serial, uid, meta_key, file_key, _service=service):
            fit(_service, slug, gtin, serial, uid, meta_key, file_key)

    @nfc.command("retire")
    @click.argument("slug")
    @click.option("--gtin", required=True)
    @click.option("--serial", required=True)
    def retire(slug, gtin, serial):
        """Take an existing unit's tag out of use (its taps stop verifying)."""
        run(lambda: retire_tag(unit_of(slug, gtin, serial), actor="cli"))
        click.echo(f"The tag of {gtin} / {serial} is retired.")
