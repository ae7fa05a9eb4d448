#!/usr/bin/env python3
"""Verify a Provenance label offline, from its URI and the published JWK set alone.

    python verify_label.py 'https://portal.example/01/09506000134352/21/ABC123?n=1&k=Ab3dE_9x&s=...' jwks.json

Needs only the Python standard library and `cryptography`. Exits 0 when the signature holds under a
key that is not revoked, 1 otherwise. docs/authenticity.md describes every step.
"""
import base64
import json
import sys
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify(uri: str, jwks: dict) -> tuple[bool, str]:
    parts = urlsplit(uri)
    segments = parts.path.split("/")
    i = segments.index("01")
    gtin, serial = segments[i + 1], unquote(segments[segments.index("21", i) + 1])
    gtin = gtin.zfill(14)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    number, kid, signature = query["n"], query["k"], query["s"]
    if not (number.isascii() and number.isdigit() and number == str(int(number))):
        return False, f"label number {number!r} is not written as the portal signs it"
    message = f"01{gtin}21{serial}|{number}|{kid}".encode("ascii")
    revoked = next((k for k in jwks.get("revoked", []) if k["kid"] == kid), None)
    jwk = next((k for k in jwks["keys"] if k["kid"] == kid), None) or revoked
    if jwk is None or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        return False, f"no published Ed25519 key {kid!r}"
    try:
        Ed25519PublicKey.from_public_bytes(b64url(jwk["x"])).verify(b64url(signature), message)
    except (InvalidSignature, ValueError):
        return False, "signature does not match"
    if revoked is not None:
        return False, f"signed by a revoked key: {revoked.get('revoked_reason', '')}"
    return True, f"signed by {jwk.get('manufacturer', '?')} key {kid}"


if __name__ == "__main__":
    ok, why = verify(sys.argv[1], json.load(open(sys.argv[2])))
    print(("valid: " if ok else "INVALID: ") + why)
    sys.exit(0 if ok else 1)
