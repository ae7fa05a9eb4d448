"""Manufacturers' Ed25519 signing keys: create, rotate, revoke, publish as a JWK set.

Private keys are decrypted only inside `signer_for`; parsed public keys are cached per kid, because
loading a key costs more than the signature check it serves.
"""
from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import select

from portal.authenticity.models import KeyState, SigningKey
from portal.catalog.models import Manufacturer
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.secrets import decrypt_secret, encrypt_secret
from portal.core.signals import keys_published
from portal.extensions import db


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public: bytes) -> str:
    """8 lower-case base32 characters of the key's SHA-256: no '-' that a command line would take for an option."""
    return base64.b32encode(hashlib.sha256(public).digest()).decode().lower()[:8]


def active_key(tenant: Manufacturer) -> SigningKey | None:
    return db.session.scalar(select(SigningKey).where(SigningKey.manufacturer_id == tenant.id,
                                                      SigningKey.state == KeyState.ACTIVE))


def create_key(tenant: Manufacturer, *, actor) -> SigningKey:
    """Generate the tenant's first signing key. A tenant that already has an active key rotates instead."""
    if active_key(tenant) is not None:
        raise Conflict("This manufacturer already has an active signing key; rotate it to make a new one.")
    return _new_key(tenant, actor=actor)


def rotate_key(tenant: Manufacturer, *, actor) -> SigningKey:
    """A new key signs from now on; the old one is retired and still verifies the labels it signed."""
    current = active_key(tenant)
    if current is not None:
        current.state, current.retired_at = KeyState.RETIRED, utcnow()
        db.session.flush()
    return _new_key(tenant, actor=actor, replaces=current.kid if current else None)


def _new_key(tenant: Manufacturer, *, actor, replaces: str | None = None) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    key = SigningKey(manufacturer_id=tenant.id, kid=key_id(public),
                     public_key=public, private_key_enc=encrypt_secret(raw_private), state=KeyState.ACTIVE)
    db.session.add(key)
    db.session.flush()
    audit.log(actor, "key.created", key, manufacturer_id=tenant.id, kid=key.kid, replaces=replaces)
    return key


def revoke_key(tenant: Manufacturer, kid: str, reason: str, *, actor) -> SigningKey:
    """Labels signed by a revoked key verify as Not genuine, with this reason."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Say why the key is revoked; the reason is shown to people who scan its labels.",
                      field="reason")
    key = db.session.scalar(select(SigningKey).where(SigningKey.manufacturer_id == tenant.id, SigningKey.kid == kid))
    if key is None:
        raise NotFound(f"This manufacturer has no key {kid!r}.")
    if key.state is KeyState.REVOKED:
        raise Conflict(f"Key {kid} is already revoked.")
    key.state, key.revoked_at, key.revoked_reason = KeyState.REVOKED, utcnow(), reason[:300]
    audit.log(actor, "key.revoked", key, manufacturer_id=tenant.id, kid=kid, reason=key.revoked_reason)
    return key


def sign(key: SigningKey, message: bytes) -> bytes:
    private = Ed25519PrivateKey.from_private_bytes(decrypt_secret(key.private_key_enc))
    return private.sign(message)


@lru_cache(maxsize=4096)
def public_key_object(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def jwks() -> dict:
    """Every manufacturer's public keys (RFC 8037 OKP/Ed25519), with state and validity, for offline checks, and
    the portal's own keys (`"issuer": "platform"`, no `manufacturer`: they sign ownership proofs, never labels).

    `keys` holds only keys whose signatures still count (active and retired): a JOSE library reads that
    member alone, so it can never accept a label signed by a revoked key. Revoked keys are listed apart, in
    `revoked` (a member such libraries ignore, RFC 7517 section 5), with when and why, so offline verifiers
    and the phone's own check can still say "this matches, but the key was revoked" (docs/authenticity.md)."""
    rows = db.session.execute(
        select(SigningKey, Manufacturer.slug).join(Manufacturer, Manufacturer.id == SigningKey.manufacturer_id)
        .order_by(SigningKey.id)
    ).all()
    keys, revoked = [], []
    for key, slug in rows:
        if key.state is KeyState.REVOKED:
            revoked.append({"kid": key.kid, "kty": "OKP", "crv": "Ed25519", "x": b64url(key.public_key),
                            "key_ops": [], "manufacturer": slug, "state": key.state.value,
                            "nbf": int(key.created_at.timestamp()), "revoked_at": int(key.revoked_at.timestamp()),
                            "revoked_reason": key.revoked_reason})
            continue
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(key.public_key), "kid": key.kid, "alg": "EdDSA",
               "use": "sig", "manufacturer": slug, "state": key.state.value,
               "nbf": int(key.created_at.timestamp())}
        if key.retired_at:
            jwk["retired_at"] = int(key.retired_at.timestamp())
        keys.append(jwk)
    for _receiver, extra in keys_published.send(None):  # the portal's own keys (resale: the platform key)
        keys.extend(extra or [])
    return {"keys": keys, "revoked": revoked}
