"""Every cell of the verdict matrix (docs/authenticity.md, "The verdict matrix"): what each kind of input with
each finding answers, its heading, its sentence and the unit facts it shows, on the page and, for codes, in
the JSON. The table below mirrors the one in the document row for row."""
from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import delete, select

from portal.accounts.services import find_user
from portal.authenticity.keys import revoke_key
from portal.authenticity.labels import current_label
from portal.authenticity.models import Label, LabelState, SigningKey
from portal.authenticity.nfc import diversify_key
from portal.authenticity.taps import create_master_key
from portal.catalog.models import Disposition, Unit
from portal.core.secrets import decrypt_secret
from portal.demo import gtin_for
from portal.extensions import db
from portal.ownership.services import register_unit, report_stolen
from tests.support.labels import flip, keyed_world, sign_unit, tenant, with_param
from tests.support.taps import tap_query

ROOT = Path(__file__).resolve().parents[2]
FACTS = ("Made", "Warranty", "Owner", "Label")


class Cell(NamedTuple):
    id: str
    input: str
    finding: str
    status: int
    verdict: str  # "<verdict>/<reason>" of the JSON, "problem" for a 400, "—" for a typed lookup (no JSON)
    heading: str
    sentence: str
    facts: str  # the unit facts the page shows, by their labels; "none" for none


MATRIX = [
    Cell("signed-genuine", "scanned signed code", "genuine, not registered", 200, "genuine/ok", "Genuine",
         "The signature proves Acme Watches issued this code", "Made Warranty Owner Label"),
    Cell("signed-registered", "scanned signed code", "genuine, registered", 200, "genuine/ok", "Genuine",
         "Registered to an owner since", "Made Warranty Owner Label"),
    Cell("signed-stolen", "scanned signed code", "reported stolen", 200, "warning/ok", "Genuine, with a warning",
         "Reported stolen by its owner", "Made Warranty Owner Label"),
    Cell("signed-recalled", "scanned signed code", "recalled", 200, "warning/ok", "Genuine, with a warning",
         "affected by a safety recall", "Made Warranty Owner Label"),
    Cell("signed-destroyed", "scanned signed code", "taken out of service", 200, "warning/ok",
         "Genuine, with a warning", "taken out of service", "Made Warranty Owner Label"),
    Cell("signed-clone-suspected", "scanned signed code", "clone suspected", 200, "warning/ok",
         "Genuine, with a warning", "suggest copies exist", "Made Warranty Owner Label"),
    Cell("signed-lot-mismatch", "scanned signed code", "another lot on the code", 200, "warning/ok",
         "Genuine, with a warning", "This code says lot L9", "Made Warranty Owner Label"),
    Cell("tampered", "tampered code", "unit registered and stolen", 422, "not_genuine/bad_signature", "Not genuine",
         "The signature does not match this product", "none"),
    Cell("malformed-signature", "tampered code", "signature fields damaged", 422,
         "not_genuine/malformed_signature", "Not genuine", "damaged or incomplete", "none"),
    Cell("signed-unknown-serial", "tampered code", "serial never made", 404, "not_genuine/unknown_serial",
         "Not genuine", "this signed code was made up", "none"),
    Cell("revoked-key", "revoked key", "any", 422, "not_genuine/revoked_key", "Not genuine",
         "revoked the key that signed this code", "none"),
    Cell("foreign-key", "another maker's key", "any", 422, "not_genuine/foreign_key", "Not genuine",
         "does not belong to Acme Watches", "none"),
    Cell("unknown-key", "unknown key", "any", 422, "cannot_verify/unknown_key", "Cannot verify",
         "a key Provenance does not know", "none"),
    Cell("withdrawn-label", "withdrawn label", "any", 422, "not_genuine/withdrawn_label", "Not genuine",
         "withdrawn and replaced", "none"),
    Cell("unknown-label", "label never issued", "any", 422, "not_genuine/unknown_label", "Not genuine",
         "never issued this code for this unit", "none"),
    Cell("copied-code", "cloned/copied code", "copies confirmed", 422, "not_genuine/copied_code", "Not genuine",
         "This code has been copied", "none"),
    Cell("unsigned-known", "unsigned code", "serial on record", 200, "cannot_verify/unsigned", "Cannot verify",
         "carries no signature", "Made Warranty Owner"),
    Cell("unsigned-stolen", "unsigned code", "reported stolen", 200, "cannot_verify/unsigned", "Cannot verify",
         "Reported stolen by its owner", "Made Warranty Owner"),
    Cell("unsigned-unknown-serial", "unsigned code", "no such serial", 404, "cannot_verify/unknown_serial",
         "Cannot verify", "We found no Acme One with serial ACME-0009", "none"),
    Cell("unknown-gtin", "unknown GTIN", "any", 404, "cannot_verify/unknown_product", "Unknown product",
         "No manufacturer on Provenance makes", "none"),
    Cell("malformed", "malformed input", "any", 400, "problem", "This is not a valid product code", "", "none"),
    Cell("nfc-genuine", "NFC tap", "genuine", 200, "genuine/ok", "Genuine", "one-time cryptographic answer",
         "Made Warranty Owner"),
    Cell("nfc-bad-tap", "NFC tap", "wrong answer", 422, "not_genuine/bad_tap", "Not genuine",
         "cryptographic answer is wrong", "none"),
    Cell("nfc-replayed", "NFC tap", "replayed", 422, "not_genuine/replayed_tap", "Not genuine", "was replayed",
         "none"),
    Cell("nfc-unknown-tag", "NFC tap", "no tag registered", 200, "cannot_verify/unknown_tag", "Cannot verify",
         "NFC tag is not registered", "none"),
    Cell("typed-match", "typed GTIN + serial", "serial on record", 200, "—", "This serial is on record",
         "Typed numbers cannot prove that the item in front of you is that one", "Made Warranty Owner"),
    Cell("typed-stolen", "typed GTIN + serial", "reported stolen", 200, "—", "This serial is on record",
         "Reported stolen by its owner", "Made Warranty Owner"),
    Cell("typed-case", "typed GTIN + serial", "a case change away", 404, "—", "No product found",
         "Did you mean: ACME-0001", "none"),
    Cell("typed-one-edit", "typed GTIN + serial", "one edit away", 404, "—", "No product found",
         "Did you mean: ACME-0001", "none"),
    Cell("typed-no-near", "typed GTIN + serial", "nothing near", 404, "—", "No product found",
         "Check what you typed", "none"),
    Cell("typed-over-limit", "typed GTIN + serial", "suggestions used up", 404, "—", "No product found",
         "Check what you typed", "none"),
    Cell("typed-unknown-gtin", "typed GTIN + serial", "unknown GTIN", 404, "—", "No product found",
         "We found no product with GTIN", "none"),
    Cell("typed-malformed", "typed GTIN + serial", "malformed", 422, "—", "Check a product",
         "GTIN check digit should be", "none"),
]


def _unit(world, n=0):
    return db.session.get(Unit, world.unit_ids_a[n])


def _register(app, world, *, stolen=False):
    with app.app_context():
        ownership = register_unit(find_user(world.owner), _unit(world), purchased_on=None)
        if stolen:
            report_stolen(find_user(world.owner), ownership)
        db.session.commit()


def _set_status(app, world, status):
    with app.app_context():
        _unit(world).status = status
        db.session.commit()


def _tag(app, world):
    uid = bytes.fromhex("04A1B2C3D4E5F6")
    with app.app_context():
        master = create_master_key(tenant("acme"), actor="test")
        _unit(world).nfc_uid = uid.hex().upper()
        db.session.commit()
    return uid, diversify_key(master, uid, b"sdm-meta-read"), diversify_key(master, uid, b"sdm-file-read")


def _path(cell_id, app, world, client) -> str:  # one branch per cell
    """Set up the cell's finding and return the address to ask."""
    gtin, serial = world.gtin_a, world.serials_a[0]
    typed = f"/lookup?gtin={gtin}&serial="
    signed = sign_unit(app, world.unit_ids_a[0]) if cell_id.split("-")[0] in (
        "signed", "tampered", "malformed", "revoked", "foreign", "unknown", "withdrawn", "copied") else ""
    match cell_id:
        case "signed-genuine":
            return signed
        case "signed-registered":
            _register(app, world)
            return signed
        case "signed-stolen" | "tampered" | "unsigned-stolen" | "typed-stolen":
            _register(app, world, stolen=True)
            if cell_id == "tampered":
                return with_param(signed, "s", flip(signed.split("s=")[1]))
            return {"signed-stolen": signed, "unsigned-stolen": f"/01/{gtin}/21/{serial}",
                    "typed-stolen": typed + serial}[cell_id]
        case "signed-recalled":
            _set_status(app, world, Disposition.RECALLED)
            return signed
        case "signed-destroyed":
            _set_status(app, world, Disposition.DESTROYED)
            return signed
        case "signed-clone-suspected":
            with app.app_context():
                tenant("acme").clone_max_clients = 2
                db.session.commit()
            for device in (1, 2):
                app.test_client().get(signed, headers={"Accept": "application/json", "User-Agent": f"phone-{device}"})
            return signed
        case "signed-lot-mismatch":
            return signed.replace(f"/01/{gtin}/", f"/01/{gtin}/10/L9/")
        case "malformed-signature":
            return with_param(signed, "n", "01")
        case "signed-unknown-serial":
            return signed.replace(serial, "ACME-0009")
        case "revoked-key":
            with app.app_context():
                revoke_key(tenant("acme"), signed.split("k=")[1].split("&")[0], "Key exposed", actor="test")
                db.session.commit()
            return signed
        case "foreign-key":
            with app.app_context():
                kid = db.session.scalar(select(SigningKey.kid).where(SigningKey.manufacturer_id == tenant("bravo").id))
            return with_param(signed, "k", kid)
        case "unknown-key":
            return with_param(signed, "k", "zzzzzzzz")
        case "withdrawn-label":
            sign_unit(app, world.unit_ids_a[0])
            return signed
        case "unknown-label":
            with app.app_context():
                db.session.execute(delete(Label).where(Label.unit_id == world.unit_ids_a[0]))
                db.session.commit()
            return signed
        case "copied-code":
            with app.app_context():
                current_label(_unit(world)).state = LabelState.COMPROMISED
                db.session.commit()
            return signed
        case "unsigned-known":
            return f"/01/{gtin}/21/{serial}"
        case "unsigned-unknown-serial":
            return f"/01/{gtin}/21/ACME-0009"
        case "unknown-gtin":
            return f"/01/{gtin_for('7777777', 1)}/21/X1"
        case "malformed":
            return "/01/12345/21/X"
        case "nfc-genuine" | "nfc-bad-tap" | "nfc-replayed":
            uid, meta, file = _tag(app, world)
            query = tap_query(meta, file, uid, 5)
            if cell_id == "nfc-bad-tap":
                query = query[:-1] + ("0" if query[-1] != "0" else "1")
            if cell_id == "nfc-replayed":
                app.test_client().get(f"/nfc/{gtin}/{serial}?{query}", headers={"Accept": "application/json"})
            return f"/nfc/{gtin}/{serial}?{query}"
        case "nfc-unknown-tag":
            return f"/nfc/{gtin}/{serial}?picc_data={'0' * 32}&cmac={'0' * 16}"
        case "typed-match":
            return typed + serial
        case "typed-case":
            return typed + serial.lower()
        case "typed-one-edit":
            return typed + "ACME-001"
        case "typed-no-near":
            return typed + "ZZZZ-9999"
        case "typed-over-limit":
            app.config["RATELIMIT_SUGGESTIONS"] = "1 per hour"
            client.get(typed + "ACME-001")  # spends the one suggestion
            return typed + "ACME-001"
        case "typed-unknown-gtin":
            return f"/lookup?gtin={gtin_for('7777777', 1)}&serial=X1"
        case "typed-malformed":
            return f"/lookup?gtin={gtin[:-1]}{(int(gtin[-1]) + 1) % 10}&serial=X1"
    raise AssertionError(cell_id)


@pytest.fixture
def world(app):
    saved = app.config["RATELIMIT_SUGGESTIONS"]
    yield keyed_world(app)
    app.config["RATELIMIT_SUGGESTIONS"] = saved


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("cell", MATRIX, ids=[c.id for c in MATRIX])
def test_every_cell_of_the_verdict_matrix(app, world, cell):
    client = app.test_client()
    path = _path(cell.id, app, world, client)
    nfc = path.startswith("/nfc/")
    page_path = _tap_again(app, world, cell.id, path) if nfc else path  # a tap answers once: a second tap
    if cell.verdict != "—":
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == cell.status, response.get_data(as_text=True)
        body = response.get_json()
        if cell.verdict == "problem":
            assert body["title"] == cell.heading
        else:
            assert f"{body['verdict']}/{body['reason']}" == cell.verdict, body
            if cell.facts == "none":  # a failed proof says nothing about the unit it claims
                assert body.get("registered_since") is None and body.get("coverage") is None
                assert body["product"] is None or body["product"]["manufactured"] is None
    page = client.get(page_path, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert page.status_code == cell.status, html
    text = _text(html)
    heading = re.search(r'<h[12] id="(?:verdict|answer|m)-title">([^<]+)<', html)
    assert (heading.group(1).strip() if heading else re.search(r"<h1>([^<]+)</h1>", html).group(1)) == cell.heading
    assert cell.sentence in text, text
    shown = {f for f in FACTS if f"<dt>{f}</dt>" in html}
    assert shown == (set() if cell.facts == "none" else set(cell.facts.split())), shown
    if cell.facts == "none":
        for fact in ("Registered to an owner", "Not registered yet", "Under the manufacturer", "Reported stolen",
                     "safety recall", "register it"):
            assert fact not in text, fact
    if cell.input.startswith("typed"):  # typing proves nothing either way, and is never told in signature jargon
        for word in ("Genuine", "Not genuine", "Cannot verify", "carries no signature"):
            assert word not in text, word
        if cell.status != 422:
            assert f'value="{world.gtin_a}"' in html or "7777777" in html  # the fields stay filled for editing
    if cell.id == "typed-over-limit":
        assert "Did you mean" not in text


def _tap_again(app, world, cell_id: str, path: str) -> str:
    """The same kind of tap once more, for the page: a fresh counter where the first was genuine or wrong."""
    if cell_id not in ("nfc-genuine", "nfc-bad-tap"):
        return path
    uid = bytes.fromhex("04A1B2C3D4E5F6")
    with app.app_context():
        master = decrypt_secret(tenant("acme").nfc_master_key_enc)
    query = tap_query(diversify_key(master, uid, b"sdm-meta-read"), diversify_key(master, uid, b"sdm-file-read"), uid, 6)
    if cell_id == "nfc-bad-tap":
        query = query[:-1] + ("0" if query[-1] != "0" else "1")
    return f"/nfc/{world.gtin_a}/{world.serials_a[0]}?{query}"


def test_the_document_lists_every_cell_of_this_table():
    doc = (ROOT / "docs" / "authenticity.md").read_text()
    for cell in MATRIX:
        assert f"`{cell.id}`" in doc, cell.id
