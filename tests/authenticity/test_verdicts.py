"""Signed labels end to end: sign, print, verify, and every way a code can be wrong."""
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.accounts.services import find_user
from portal.authenticity.keys import revoke_key, rotate_key
from portal.authenticity.models import Scan, SigningKey
from portal.catalog.models import BizStep, Disposition, Unit
from portal.catalog.services import add_model, create_unit, record_event
from portal.core.dates import add_months
from portal.core.secrets import decrypt_secret
from portal.core.storage import StoredFile
from portal.demo import gtin_for
from portal.extensions import db
from portal.ownership.services import accept_transfer, register_unit, report_stolen, start_transfer
from portal.warranty.coverage import coverage
from portal.warranty.models import WarrantyTerms
from tests.support.labels import flip, keyed_world, sign_unit, tenant, verdict_of, with_param

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(app):
    return keyed_world(app)


def test_a_label_signed_by_the_cli_verifies_as_genuine(app, client, world):
    result = app.test_cli_runner().invoke(args=["labels", "sign", "acme", "--gtin", world.gtin_a,
                                                "--serial", world.serials_a[0]])
    assert result.exit_code == 0, result.output
    uri = result.output.strip()
    assert uri.startswith(f"http://portal.test/01/{world.gtin_a}/21/{world.serials_a[0]}?n=1&k=")
    parts = urlsplit(uri)
    status, body = verdict_of(client, f"{parts.path}?{parts.query}")
    assert status == 200 and body["verdict"] == "genuine"
    assert body["signature"]["message"] == f"01{world.gtin_a}21{world.serials_a[0]}|1|{body['signature']['kid']}"
    again = app.test_cli_runner().invoke(args=["labels", "sign", "acme", "--gtin", world.gtin_a,
                                               "--serial", world.serials_a[0]])
    assert again.output.strip() == uri  # printing again reprints the same code


def test_the_html_verdict_says_why_and_carries_the_data_for_the_phone_check(app, client, world):
    page = client.get(sign_unit(app, world.unit_ids_a[0]), follow_redirects=True).get_data(as_text=True)
    assert "Genuine" in page and "Acme Watches issued this code" in page
    assert 'id="sig-check"' in page and "data-signature=" in page


@pytest.mark.parametrize("part", ["s", "serial", "gtin"])
def test_a_flipped_character_in_signature_serial_or_gtin_is_not_genuine(app, client, world, part):
    with app.app_context():
        acme = tenant("acme")
        other = add_model(acme, gtin=gtin_for("4012345", 2), name="Acme Two", warranty_months=12, actor="test")
        create_unit(acme, gtin=other.gtin, serial=world.serials_a[0], actor="test")  # same serial, other GTIN
        create_unit(acme, gtin=world.gtin_a, serial="ACME-0009", actor="test")
        db.session.commit()
        other_gtin = other.gtin
    path = sign_unit(app, world.unit_ids_a[0])
    if part == "s":
        signature = path.split("s=")[1]
        tampered = with_param(path, "s", flip(signature))
    elif part == "serial":
        tampered = path.replace(world.serials_a[0], "ACME-0009")
    else:
        tampered = path.replace(world.gtin_a, other_gtin)
    status, body = verdict_of(client, tampered)
    assert (status, body["verdict"], body["reason"]) == (422, "not_genuine", "bad_signature")


def test_a_key_id_nobody_published_cannot_be_verified(app, client, world):
    _status, body = verdict_of(client, with_param(sign_unit(app, world.unit_ids_a[0]), "k", "ZZZZZZZZ"))
    assert body["verdict"] == "cannot_verify" and body["reason"] == "unknown_key"


def test_a_key_of_another_manufacturer_is_not_genuine(app, client, world):
    with app.app_context():
        bravo_kid = db.session.scalar(select(SigningKey.kid).where(SigningKey.manufacturer_id == tenant("bravo").id))
    _status, body = verdict_of(client, with_param(sign_unit(app, world.unit_ids_a[0]), "k", bravo_kid))
    assert body["verdict"] == "not_genuine" and body["reason"] == "foreign_key"


def test_a_retired_key_still_verifies_and_a_revoked_one_does_not(app, client, world):
    path = sign_unit(app, world.unit_ids_a[0])
    with app.app_context():
        new_kid = rotate_key(tenant("acme"), actor="test").kid  # the first key is now retired
        db.session.commit()
    assert verdict_of(client, path)[1]["verdict"] == "genuine"
    kid = path.split("k=")[1].split("&")[0]
    with app.app_context():
        assert new_kid != kid
        revoke_key(tenant("acme"), kid, "Private key found on a stolen laptop", actor="test")
        db.session.commit()
    _status, body = verdict_of(client, path)
    assert body["verdict"] == "not_genuine" and body["reason"] == "revoked_key"
    assert "stolen laptop" in body["message"]


def test_an_unknown_serial_is_not_genuine_only_on_a_signed_code(app, client, world):
    status, body = verdict_of(client, f"/01/{world.gtin_a}/21/FAKE-0001")  # unsigned: absence accuses nobody
    assert status == 404 and body["verdict"] == "cannot_verify" and body["reason"] == "unknown_serial"
    signed = sign_unit(app, world.unit_ids_a[0]).replace(world.serials_a[0], "FAKE-0001")
    status, body = verdict_of(client, signed)
    assert status == 404 and body["verdict"] == "not_genuine" and body["reason"] == "unknown_serial"


def test_an_unknown_gtin_cannot_be_verified(app, client, world):
    status, body = verdict_of(client, f"/01/{gtin_for('7777777', 1)}/21/X1")
    assert status == 404 and body["verdict"] == "cannot_verify"


@pytest.mark.parametrize("path", ["/01/12345/21/X", "/01/04012345000017/21/A%20B", "/01/abc"])
def test_malformed_codes_get_a_precise_4xx_problem(app, client, world, path):
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json" and response.get_json()["detail"]


def test_an_unsigned_code_cannot_prove_anything_but_shows_the_status(app, client, world):
    status, body = verdict_of(client, f"/01/{world.gtin_a}/21/{world.serials_a[0]}")
    assert status == 200 and body["verdict"] == "cannot_verify" and body["reason"] == "unsigned"
    assert body["product"]["name"] == "Acme One"


def test_a_replaced_label_is_withdrawn_and_the_new_one_is_genuine(app, client, world):
    old = sign_unit(app, world.unit_ids_a[0])
    new = sign_unit(app, world.unit_ids_a[0])
    assert verdict_of(client, old)[1]["reason"] == "withdrawn_label"
    assert verdict_of(client, new)[1]["verdict"] == "genuine"


def test_a_resold_unit_is_judged_on_every_ownership_it_had(app, client, world):
    """The verdict reads a unit's ownerships with its other facts (authenticity/facts.py): its registration is
    the current owner's, and a warranty that ends at a transfer ended the day before it, though the buyer's
    ownership alone would be covered."""
    with app.app_context():
        unit = db.session.get(Unit, world.unit_ids_a[0])
        unit.model.warranty_months = 24
        db.session.add(WarrantyTerms(model_id=unit.model_id, survives_transfer=False))
        receipt = StoredFile(key="receipt.pdf", mime="application/pdf", name="receipt.pdf", size=10)
        first = register_unit(find_user(world.owner), unit, purchased_on=date.today() - timedelta(days=100),
                              proof=receipt)
        first.since = datetime.now(UTC) - timedelta(days=90)
        _, code = start_transfer(find_user(world.owner), first)
        current_since = accept_transfer(find_user(world.other_owner), code).since.strftime("%Y-%m")
        db.session.commit()
    code = sign_unit(app, world.unit_ids_a[0])
    for path in (code, "/verdict" + code):  # the resolver's JSON verdict and the verdict's own link
        status, body = verdict_of(client, path)
        assert status == 200 and body["registered_since"] == current_since
        assert body["coverage"] == "Not under the manufacturer's warranty"


def test_the_verdict_judges_the_warranty_on_today_in_the_warranty_time_zone(app, client, world, monkeypatch):
    """The warranty's days are those of WARRANTY_TIMEZONE (warranty/coverage.py), for the verdict as for the
    owner's pages: in a zone whose date is not the server's right now, a warranty that ended yesterday there
    (or starts tomorrow there) is not covered, though the server's date would say it is."""
    now = datetime.now(UTC)
    ahead = now.hour * 60 + now.minute >= 10 * 60 + 30  # Kiritimati (UTC+14) is a day ahead from 10:00 UTC
    # else UTC-11, behind; the application is the session's, so the setting is put back after the test
    monkeypatch.setitem(app.config, "WARRANTY_TIMEZONE", "Pacific/Kiritimati" if ahead else "Pacific/Pago_Pago")
    server_today = now.date()
    # ahead: bought a year before the server's today, so the 12 months ended on the server's today, yesterday
    # in the zone; behind: bought on the server's today, which is tomorrow in the zone
    bought = add_months(server_today, -12) if ahead else server_today
    if add_months(bought, 12) != server_today:
        pytest.skip("no purchase date gives a 12-month warranty ending on 29 February")
    with app.app_context():
        unit = db.session.get(Unit, world.unit_ids_a[0])
        unit.model.warranty_months = 12
        receipt = StoredFile(key="receipt.pdf", mime="application/pdf", name="receipt.pdf", size=10)
        register_unit(find_user(world.owner), unit, purchased_on=bought, proof=receipt)
        db.session.commit()
        assert coverage(unit, server_today).covered  # what the server's own date would answer
        assert not coverage(unit, datetime.now(UTC)).covered  # what the owner's pages answer
    code = sign_unit(app, world.unit_ids_a[0])
    for path in (code, "/verdict" + code):
        status, body = verdict_of(client, path)
        assert status == 200 and body["coverage"] == "Not under the manufacturer's warranty"


def test_stolen_and_recalled_units_are_genuine_with_a_warning(app, client, world):
    with app.app_context():
        owner = find_user(world.owner)
        ownership = register_unit(owner, db.session.get(Unit, world.unit_ids_a[0]), purchased_on=None)
        report_stolen(owner, ownership)
        record_event(db.session.get(Unit, world.unit_ids_a[1]), BizStep.INSPECTING, Disposition.RECALLED, actor="test")
        db.session.commit()
    stolen = verdict_of(client, sign_unit(app, world.unit_ids_a[0]))[1]
    recalled = verdict_of(client, sign_unit(app, world.unit_ids_a[1]))[1]
    assert stolen["verdict"] == "warning" and stolen["warnings"][0]["code"] == "stolen"
    assert stolen["registered_since"] is not None and world.owner not in json.dumps(stolen)
    assert recalled["verdict"] == "warning" and recalled["warnings"][0]["code"] == "recalled"


def test_the_published_jwks_verifies_a_label_with_code_that_does_not_import_the_portal(app, client, world, tmp_path):
    path = sign_unit(app, world.unit_ids_a[0])
    response = client.get("/.well-known/jwks.json")
    assert "max-age" in response.headers["Cache-Control"] and response.headers.get("ETag")
    keys = response.get_json()["keys"]
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and k["kid"] and k["state"] for k in keys)
    (tmp_path / "jwks.json").write_text(response.get_data(as_text=True))
    verifier = ROOT / "docs" / "examples" / "verify_label.py"
    good = subprocess.run([sys.executable, "-I", str(verifier), "http://x" + path, str(tmp_path / "jwks.json")],
                          capture_output=True, text=True, cwd=tmp_path, check=False)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = subprocess.run([sys.executable, "-I", str(verifier), "http://x" + with_param(path, "s", flip(path.split("s=")[1])),
                          str(tmp_path / "jwks.json")], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert bad.returncode == 1 and "does not match" in bad.stdout


def test_private_keys_are_encrypted_at_rest_and_never_published(app, client, world):
    from portal.authenticity.keys import b64url
    from tests.factories import login

    with app.app_context():
        key = db.session.scalar(select(SigningKey).where(SigningKey.manufacturer_id == tenant("acme").id))
        raw = decrypt_secret(key.private_key_enc)
        assert raw.hex() not in key.private_key_enc and b64url(raw) not in key.private_key_enc
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    for page in (client.get("/.well-known/jwks.json"), admin.get("/console/acme/keys")):
        text = page.get_data(as_text=True)
        assert b64url(raw) not in text and raw.hex() not in text


def test_every_verdict_records_a_scan_without_the_address(app, client, world):
    path = sign_unit(app, world.unit_ids_a[0])
    client.get(path, environ_base={"REMOTE_ADDR": "203.0.113.9"}, follow_redirects=True)
    client.get(f"/01/{world.gtin_a}/21/FAKE-1", follow_redirects=True)
    with app.app_context():
        scans = db.session.scalars(select(Scan).order_by(Scan.id)).all()
    assert [s.verdict for s in scans] == ["genuine", "cannot_verify"]  # an unsigned unknown serial accuses nobody
    assert scans[0].unit_id == world.unit_ids_a[0] and scans[0].label_number == 1
    assert "203.0.113.9" not in scans[0].client and len(scans[0].client) == 24


def test_keys_cli_create_rotate_revoke(app, world):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["keys", "create", "acme"]).exit_code == 1  # already has one
    rotated = runner.invoke(args=["keys", "rotate", "acme"])
    assert rotated.exit_code == 0 and "is now active" in rotated.output
    kid = rotated.output.split()[1]
    assert runner.invoke(args=["keys", "revoke", "acme", kid, "--reason", "test"]).exit_code == 0
    listing = runner.invoke(args=["keys", "list", "acme"]).output
    assert f"{kid}  revoked" in listing and "retired" in listing
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SigningKey)) == 3
