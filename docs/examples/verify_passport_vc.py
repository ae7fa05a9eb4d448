#!/usr/bin/env python3
"""Verify a Provenance passport credential offline: a VC-JOSE (application/vc+jwt) credential and the
portal's DID document (its /.well-known/did.json, saved beside it).

    python verify_passport_vc.py credential.jwt did.json
    python verify_passport_vc.py --backup passport-backup.json did.json

Needs only the Python standard library and `cryptography`; it imports nothing of the portal. Exits 0 and
prints the credential's subject when the signature holds under a key the DID document lists for
assertions and the credential's issuer is that DID; exits 1 saying why otherwise. With --backup it checks
a signed backup copy (a flattened JWS) the same way. docs/passport.md describes every step.
"""
import base64
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(did_document: dict, kid: str):
    """The Ed25519 key the DID document lists under `kid` for assertions, or the reason there is none."""
    if not kid.startswith(did_document.get("id", "") + "#"):
        return None, f"the key {kid!r} is not one of {did_document.get('id')!r}"
    if kid not in did_document.get("assertionMethod", []):
        return None, f"the key {kid!r} is not listed for assertions (revoked, or never the portal's)"
    method = next((m for m in did_document.get("verificationMethod", []) if m.get("id") == kid), None)
    jwk = (method or {}).get("publicKeyJwk") or {}
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        return None, f"no Ed25519 key {kid!r} in the DID document"
    return Ed25519PublicKey.from_public_bytes(b64url(jwk["x"])), ""


def _check(protected_b64: str, payload_b64: str, signature_b64: str, did_document: dict, typ: str):
    try:
        header = json.loads(b64url(protected_b64))
        payload = json.loads(b64url(payload_b64))
    except ValueError:
        return False, "the protected header or the payload is not base64url JSON", None
    if header.get("alg") != "EdDSA" or header.get("typ") != typ:
        return False, f"expected alg EdDSA and typ {typ}, got {header.get('alg')} and {header.get('typ')}", None
    key, why = _key(did_document, str(header.get("kid", "")))
    if key is None:
        return False, why, None
    try:
        key.verify(b64url(signature_b64), f"{protected_b64}.{payload_b64}".encode("ascii"))
    except (InvalidSignature, ValueError):
        return False, "signature does not match: the credential was changed or not signed by this key", None
    return True, "", payload


def verify_credential(jwt: str, did_document: dict):
    """(ok, reason, credential). The credential's issuer must be the DID whose key signed it."""
    parts = jwt.strip().split(".")
    if len(parts) != 3:
        return False, "not a compact JWS (three parts separated by dots)", None
    ok, why, credential = _check(*parts, did_document, "vc+jwt")
    if not ok:
        return False, why, None
    issuer = credential.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer != did_document.get("id"):
        return False, f"the issuer {issuer!r} is not the DID that signed it", None
    if "https://www.w3.org/ns/credentials/v2" not in credential.get("@context", []):
        return False, "not a VC Data Model 2.0 credential", None
    return True, "signature holds; issuer " + issuer, credential


def verify_backup(copy: dict, did_document: dict):
    ok, why, payload = _check(copy.get("protected", ""), copy.get("payload", ""), copy.get("signature", ""),
                              did_document, "dpp-backup+json")
    return (ok, why or f"signature holds; {len(payload['passports'])} passports", payload)


def main(argv: list[str]) -> int:
    backup = argv[:1] == ["--backup"]
    args = argv[1:] if backup else argv
    if len(args) != 2:
        print("usage: verify_passport_vc.py [--backup] FILE did.json", file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as given, open(args[1], encoding="utf-8") as did:
        text, did_document = given.read(), json.load(did)
    if backup:
        ok, why, payload = verify_backup(json.loads(text), did_document)
        shown = {"manufacturer": payload and payload.get("manufacturer"),
                 "passports": payload and len(payload["passports"])}
    else:
        ok, why, credential = verify_credential(text, did_document)
        shown = credential and credential["credentialSubject"]
    print(("VALID: " if ok else "INVALID: ") + why)
    if ok:
        print(json.dumps(shown, indent=2, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
