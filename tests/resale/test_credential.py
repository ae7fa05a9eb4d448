"""A proof as a W3C VC 2.0 secured with VC-JOSE (a compact JWS, typ vc+jwt) under the portal's platform key:
checked offline by a verifier that knows only the published JWK set and the `cryptography` library. It runs in
its own Python process that never imports the portal, and catches tampering with payload, signature or kid."""
from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest

from portal import create_app
from portal.core.secrets import decrypt_secret
from portal.extensions import db
from portal.resale.models import PlatformKey
from tests.support.resale import build_sale, make_proof

#: The offline verifier: standard library and `cryptography` only.
VERIFIER = r'''
import base64, json, sys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

def b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

def verify(jwks, token):
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(b64d(header_b64))
        if header.get("alg") != "EdDSA" or header.get("typ") != "vc+jwt":
            return {"ok": False, "why": "header"}
        kid = header["kid"].split("#")[-1]
        jwk = next((k for k in jwks["keys"] if k["kid"] == kid and k.get("crv") == "Ed25519"), None)
        if jwk is None:
            return {"ok": False, "why": "unknown key"}
        Ed25519PublicKey.from_public_bytes(b64d(jwk["x"])).verify(b64d(signature_b64),
                                                                   (header_b64 + "." + payload_b64).encode())
    except InvalidSignature:
        return {"ok": False, "why": "signature"}
    except Exception as err:
        return {"ok": False, "why": type(err).__name__}
    return {"ok": True, "credential": json.loads(b64d(payload_b64))}

data = json.load(sys.stdin)
print(json.dumps({"results": [verify(data["jwks"], t) for t in data["tokens"]],
                  "portal_imported": any(m == "portal" or m.startswith("portal.") for m in sys.modules)}))
'''


def _offline(jwks: dict, tokens: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-I", "-c", VERIFIER], input=json.dumps({"jwks": jwks, "tokens": tokens}),
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def issued(app, client):
    sale = build_sale(app)
    _, token = make_proof(app, sale, serial_shown="full")
    response = client.get(f"/proof/{token}/credential")
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    return sale, token, response.get_data(as_text=True), client.get("/.well-known/jwks.json").json


def test_the_credential_verifies_offline_from_the_jwk_set(issued):
    _, token, jwt, jwks = issued
    answer = _offline(jwks, [jwt])
    assert answer["portal_imported"] is False
    [result] = answer["results"]
    assert result["ok"], result
    vc = result["credential"]
    assert vc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert vc["type"] == ["VerifiableCredential", "OwnershipProofCredential"]
    assert vc["id"] == f"http://portal.test/proof/{token}" and vc["issuer"]["id"] == "did:web:portal.test"
    subject = vc["credentialSubject"]
    assert subject["genuine"] is True and subject["registeredToPresenterSince"] == "2025-05"
    assert subject["product"]["serial"] == "ACME-0001" and subject["reportedStolen"] is False
    assert subject["warrantyOnTransfer"] == {"carries": True, "until": "2027-05-03", "scopes": ["parts", "labour"]}
    assert vc["validUntil"] > vc["validFrom"]


def test_the_platform_key_is_published_with_its_own_kid_and_encrypted_at_rest(app, client, issued):
    _, _, jwt, _ = issued
    # Another application made in this process (as the suite and the worker do) wires the areas again: the
    # key must still be listed once.
    create_app({"TESTING": True, "SECRET_KEY": "another", "DATABASE_URL": "sqlite://"})
    jwks = client.get("/.well-known/jwks.json").json
    header = json.loads(_b64d(jwt.split(".")[0]))
    assert header == {"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": header["kid"]}
    kid = header["kid"].split("#")[1]
    assert kid.startswith("platform-")
    [jwk] = [k for k in jwks["keys"] if k["kid"] == kid]
    assert jwk["issuer"] == "platform" and "manufacturer" not in jwk and jwk["state"] == "active"
    did = client.get("/.well-known/did.json").json
    assert header["kid"] in did["assertionMethod"]
    assert any(m["id"] == header["kid"] and m["publicKeyJwk"]["x"] == jwk["x"] for m in did["verificationMethod"])
    with app.app_context():
        key = db.session.scalar(db.select(PlatformKey))
        assert len(decrypt_secret(key.private_key_enc)) == 32
        assert _b64(key.public_key) == jwk["x"]
        assert key.private_key_enc.encode().find(decrypt_secret(key.private_key_enc)) == -1


def test_tampering_is_caught_offline(issued):
    _, _, jwt, jwks = issued
    header_b64, payload_b64, signature_b64 = jwt.split(".")
    payload = json.loads(_b64d(payload_b64))
    payload["credentialSubject"]["reportedStolen"] = False
    payload["credentialSubject"]["registeredToPresenterSince"] = "2019-01"  # a longer ownership, a better price
    forged_payload = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signature = bytearray(_b64d(signature_b64))
    signature[5] ^= 0x01
    header = json.loads(_b64d(header_b64))
    header["kid"] = header["kid"].split("#")[0] + "#platform-zzzzzzzz"
    tokens = [
        f"{header_b64}.{forged_payload}.{signature_b64}",  # payload changed
        f"{header_b64}.{payload_b64}.{_b64(bytes(signature))}",  # one bit of the signature flipped
        f"{header_b64}.{payload_b64}.",  # signature removed
        f"{_b64(json.dumps(header).encode())}.{payload_b64}.{signature_b64}",  # another kid
        jwt.replace(".", "", 1),  # not three parts
    ]
    results = _offline(jwks, tokens)["results"]
    assert [r["ok"] for r in results] == [False] * 5
    assert results[0]["why"] == "signature" and results[1]["why"] == "signature"
    assert _offline(jwks, [jwt])["results"][0]["ok"]


def test_no_credential_for_a_proof_that_no_longer_holds(app, client):
    sale = build_sale(app)
    proof_id, token = make_proof(app, sale)
    from tests.factories import login

    login(client, sale.seller)
    client.post(f"/my/proofs/{proof_id}/revoke")
    answer = client.get(f"/proof/{token}/credential")
    assert answer.status_code == 410 and answer.json["state"] == "revoked"
