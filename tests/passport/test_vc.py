"""The public passport as a VC-JOSE credential: verified by the standalone example (which imports nothing of
the portal) against the portal's did:web document; tampering, a foreign issuer and a revoked key are caught."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from portal.accounts.services import find_user
from portal.authenticity.keys import revoke_key
from portal.authenticity.models import SigningKey
from portal.catalog.models import Manufacturer
from portal.extensions import db
from portal.passport import exports

VERIFIER = Path(__file__).resolve().parents[2] / "docs" / "examples" / "verify_passport_vc.py"


def _run(tmp_path, *args):
    return subprocess.run([sys.executable, "-I", str(VERIFIER), *args], capture_output=True, text=True,
                          cwd=tmp_path, check=False)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _save(tmp_path, client, jwt: str):
    (tmp_path / "credential.jwt").write_text(jwt)
    (tmp_path / "did.json").write_text(client.get("/.well-known/did.json").get_data(as_text=True))


def test_the_credential_verifies_offline_and_names_the_portals_did(tmp_path, client, battery):
    response = client.get(battery.path() + "/credential")
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    jwt = response.get_data(as_text=True)
    header, payload = (json.loads(base64.urlsafe_b64decode(p + "==")) for p in jwt.split(".")[:2])
    assert header["typ"] == "vc+jwt" and header["alg"] == "EdDSA" and header["kid"].startswith("did:web:portal.test#")
    assert payload["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert payload["issuer"]["id"] == "did:web:portal.test" and "VerifiableCredential" in payload["type"]
    assert payload["credentialSubject"]["id"].endswith(f"/01/{battery.gtin}/21/{battery.serials[0]}")
    did = client.get("/.well-known/did.json").get_json()
    assert did["id"] == "did:web:portal.test" and header["kid"] in did["assertionMethod"]
    _save(tmp_path, client, jwt)
    good = _run(tmp_path, "credential.jwt", "did.json")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "VALID" in good.stdout and "NMC811" in good.stdout


def test_a_changed_value_is_caught(tmp_path, client, battery):
    jwt = client.get(battery.path() + "/credential").get_data(as_text=True)
    head, body, signature = jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["credentialSubject"]["carbonFootprint"]["batteryCarbonFootprint"] = 12.0  # a greener figure
    _save(tmp_path, client, ".".join([head, _b64(json.dumps(claims).encode()), signature]))
    bad = _run(tmp_path, "credential.jwt", "did.json")
    assert bad.returncode == 1 and "does not match" in bad.stdout


def test_another_issuer_and_a_revoked_key_are_caught(app, tmp_path, client, battery):
    jwt = client.get(battery.path() + "/credential").get_data(as_text=True)
    _save(tmp_path, client, jwt)
    did = json.loads((tmp_path / "did.json").read_text())
    did["id"] = "did:web:elsewhere.example"
    (tmp_path / "other.json").write_text(json.dumps(did))
    assert _run(tmp_path, "credential.jwt", "other.json").returncode == 1
    with app.app_context():
        key = db.session.scalar(select(SigningKey).where(SigningKey.manufacturer_id == battery.tenant_id))
        revoke_key(db.session.get(Manufacturer, battery.tenant_id), key.kid, "leaked in a test",
                   actor=find_user(battery.admin))
        db.session.commit()
    _save(tmp_path, client, jwt)
    revoked = _run(tmp_path, "credential.jwt", "did.json")
    assert revoked.returncode == 1 and "not listed for assertions" in revoked.stdout


def test_the_signed_backup_copy_verifies_and_tampering_is_caught(app, tmp_path, client, battery):
    with app.app_context():
        copy = exports.backup_copy(db.session.get(Manufacturer, battery.tenant_id))
    (tmp_path / "backup.json").write_text(json.dumps(copy))
    (tmp_path / "did.json").write_text(client.get("/.well-known/did.json").get_data(as_text=True))
    good = _run(tmp_path, "--backup", "backup.json", "did.json")
    assert good.returncode == 0 and "3 passports" in good.stdout, good.stdout + good.stderr
    payload = json.loads(base64.urlsafe_b64decode(copy["payload"] + "=="))
    payload["passports"].pop()
    (tmp_path / "backup.json").write_text(json.dumps({**copy, "payload": _b64(json.dumps(payload).encode())}))
    assert _run(tmp_path, "--backup", "backup.json", "did.json").returncode == 1


def test_a_model_without_a_key_gets_no_credential_but_a_clear_answer(app, client, battery):
    with app.app_context():
        for key in db.session.scalars(select(SigningKey)):
            db.session.delete(key)
        db.session.commit()
    response = client.get(battery.path() + "/credential")
    assert response.status_code == 404 and "signing key" in response.get_json()["error"]
