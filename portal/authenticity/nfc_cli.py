"""`flask nfc verify URL`: check one NTAG 424 DNA tap offline, with keys given on the command line.

Exit codes: 0 valid, 1 not valid (JSON says why), 2 malformed input (one line on stderr).
"""
from __future__ import annotations

import json
import re

import click
from flask import Flask
from flask.cli import AppGroup

from portal.authenticity.nfc import SunError, parse_sun_params, verify_sun
from portal.authenticity.taps import create_master_key, set_tag_keys
from portal.catalog.services import find_unit
from portal.core.errors import Invalid, NotFound


def _key(option: str, text: str | None) -> bytes | None:
    if text is None:
        return None
    text = text.strip()
    if not re.fullmatch(r"[0-9A-Fa-f]*", text):
        raise SunError(f"{option}: not hexadecimal")
    if len(text) != 32:
        raise SunError(f"{option}: an AES-128 key is 32 hex digits, got {len(text)}")
    return bytes.fromhex(text)


def register_nfc_cli(app: Flask, tenant_by_slug, run) -> None:
    """The `nfc` commands; `tenant_by_slug` and `run` are the CLI's tenant lookup and unit of work."""
    nfc = AppGroup("nfc", help="NTAG 424 DNA Secure Unique NFC (SUN) messages.")

    @nfc.command("verify", with_appcontext=False)
    @click.argument("url")
    @click.option("--meta-key", metavar="HEX",
                  help="K_SDMMetaRead, 32 hex digits (not needed for uid=&ctr= URLs).")
    @click.option("--file-key", metavar="HEX", required=True,
                  help="K_SDMFileRead of this tag, 32 hex digits.")
    @click.option("--mac-input", help="The text the tag MACs; default: from the enc value through cmac=.")
    @click.pass_context
    def verify(ctx: click.Context, url: str, meta_key: str | None, file_key: str,
               mac_input: str | None) -> None:
        """Verify the SUN parameters in URL's query and print the verdict as JSON."""
        try:
            params = parse_sun_params(url)
            meta = _key("--meta-key", meta_key)
            file_key_raw = _key("--file-key", file_key)
            raw_input = mac_input.encode() if mac_input is not None else params.mac_input
            result = verify_sun(params, meta, file_key_raw, raw_input)
        except SunError as err:
            click.echo(f"error: {err}", err=True)
            ctx.exit(2)
        click.echo(json.dumps({
            "valid": result.valid,
            "uid": result.uid,
            "counter": result.counter,
            "file_data_hex": result.file_data.hex().upper() if result.file_data is not None else None,
            "reason": result.reason,
        }))
        ctx.exit(0 if result.valid else 1)

    @nfc.command("master-key")
    @click.argument("slug")
    def master_key(slug: str) -> None:
        """Create (or replace) a tenant's NFC master key and print it once, for the tag programming station."""
        key = run(lambda: create_master_key(tenant_by_slug(slug), actor="cli"))
        click.echo(key.hex().upper())
        click.echo("Stored encrypted. Per-tag keys: AES-CMAC(master, 01 || purpose || UID); see docs/nfc.md.",
                   err=True)

    @nfc.command("set-keys")
    @click.argument("slug")
    @click.option("--gtin", required=True)
    @click.option("--serial", required=True)
    @click.option("--meta-key", metavar="HEX", required=True)
    @click.option("--file-key", metavar="HEX", required=True)
    def set_keys(slug: str, gtin: str, serial: str, meta_key: str, file_key: str) -> None:
        """Store one tag's own SDM keys (encrypted), instead of deriving them from the master key."""
        def work():
            tenant, unit = tenant_by_slug(slug), find_unit(gtin, serial)
            if unit.manufacturer_id != tenant.id:
                raise NotFound(f"{slug} has no unit with this GTIN and serial.")
            try:
                keys = _key("--meta-key", meta_key), _key("--file-key", file_key)
            except SunError as err:
                raise Invalid(str(err)) from None
            return set_tag_keys(unit, *keys, actor="cli")

        run(work)
        click.echo("Tag keys stored (encrypted).")

    from portal.authenticity.tags_cli import register_tag_commands  # attach, replace, retire

    register_tag_commands(nfc, tenant_by_slug, run)
    app.cli.add_command(nfc)
