"""Fixes found in the conformance check: a contradicting lot, a non-canonical label number, revoked keys in the JWK set."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from portal.authenticity.keys import revoke_key, rotate_key
from portal.catalog.models import Manufacturer
from portal.extensions import db
from tests.support.labels import sign_unit, with_param

JSON = {"Accept": "application/json"}
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "verify_label.py"


def with_lot(path: str, lot: str) -> str:
    head, tail = path.split("/21/", 1)
    return f"{head}/10/{lot}/21/{tail}"


def test_a_lot_contradicting_the_units_lot_is_a_warning_naming_both(app, client, world):
    path = sign_unit(app, world.unit_ids_a[0])  # recorded in lot L1
    right = client.get(with_lot(path, "L1"), headers=JSON).get_json()
    assert right["verdict"] == "genuine" and right["warnings"] == []
    wrong = client.get(with_lot(path, "L9"), headers=JSON).get_json()
    assert wrong["verdict"] == "warning" and [w["code"] for w in wrong["warnings"]] == ["lot_mismatch"]
    assert "L9" in wrong["message"] and "L1" in wrong["message"]
    page = client.get(with_lot(path, "L9"), follow_redirects=True).get_data(as_text=True)
    assert "L9" in page and "L1" in page and "Genuine, with a warning" in page


def test_a_lot_on_a_unit_recorded_without_one_is_a_warning_too(app, client, world):
    path = sign_unit(app, world.unit_id_b)  # bravo's bike has no lot
    answer = client.get(with_lot(path, "L1"), headers=JSON).get_json()
    assert answer["verdict"] == "warning" and "L1" in answer["warnings"][0]["message"]


def test_a_non_canonical_label_number_is_refused(app, client, world):
    path = sign_unit(app, world.unit_ids_a[0])
    assert client.get(path, headers=JSON).get_json()["verdict"] == "genuine"
    for number in ("01", "001", "+1", "1.0", "１"):
        answer = client.get(with_param(path, "n", number), headers=JSON).get_json()
        assert answer["verdict"] == "not_genuine" and answer["reason"] == "malformed_signature", number


def _revoked_world(app, world):
    """A label signed by acme's first key, which is then rotated away and revoked."""
    path = sign_unit(app, world.unit_ids_a[0])
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        old = rotate_key(acme, actor="test")  # returns the new key; the old one is retired
        kid = path.split("k=")[1].split("&")[0]
        revoke_key(acme, kid, "key material leaked", actor="test")
        db.session.commit()
        assert old.kid != kid
    return path, kid


def test_revoked_keys_are_not_in_the_usable_key_set(app, client, world):
    path, kid = _revoked_world(app, world)
    published = client.get("/.well-known/jwks.json").get_json()
    assert kid not in {k["kid"] for k in published["keys"]}  # a JOSE library reads only "keys"
    assert all(k["use"] == "sig" and k["state"] in ("active", "retired") for k in published["keys"])
    [revoked] = [k for k in published["revoked"] if k["kid"] == kid]
    assert revoked["state"] == "revoked" and revoked["revoked_reason"] == "key material leaked"
    assert revoked["key_ops"] == [] and "use" not in revoked and "alg" not in revoked
    assert client.get(path, headers=JSON).get_json()["reason"] == "revoked_key"


def test_an_offline_verifier_reading_the_set_says_revoked(app, client, world, tmp_path):
    path, _kid = _revoked_world(app, world)
    (tmp_path / "jwks.json").write_bytes(client.get("/.well-known/jwks.json").get_data())
    result = subprocess.run([sys.executable, "-I", str(EXAMPLE), "http://x" + path, str(tmp_path / "jwks.json")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "revoked" in result.stdout and "leaked" in result.stdout
    refused = subprocess.run([sys.executable, "-I", str(EXAMPLE), "http://x" + with_param(path, "n", "01"),
                              str(tmp_path / "jwks.json")], capture_output=True, text=True, check=False)
    assert refused.returncode == 1
