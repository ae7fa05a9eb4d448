"""The portal's platform key: the Ed25519 key with which the portal itself signs what it vouches for (ownership
proofs), as opposed to manufacturers' label keys. Made on first use; its private half is encrypted at rest
with the instance's key-encryption key (core/secrets.py); its public half is published in the JWK set
(/.well-known/jwks.json) and the did:web document (/.well-known/did.json) under its own kid."""
from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.authenticity.keys import b64url, key_id
from portal.core import audit
from portal.core.db import utcnow
from portal.core.secrets import decrypt_secret, encrypt_secret
from portal.extensions import db
from portal.resale.models import PlatformKey, PlatformKeyState

#: A platform kid starts with this, so it can never be taken for a manufacturer's 8-character kid.
KID_PREFIX = "platform-"


def active_platform_key() -> PlatformKey | None:
    return db.session.scalar(select(PlatformKey).where(PlatformKey.state == PlatformKeyState.ACTIVE))


def platform_key() -> PlatformKey:
    """The active platform key, made now if there is none. Two processes making it at once: the partial unique
    index on the active state lets one through, and the other reads the winner's."""
    key = active_platform_key()
    if key is not None:
        return key
    try:
        with db.session.begin_nested():
            key = _new_key()
    except IntegrityError:
        key = active_platform_key()
        if key is None:
            raise
    return key


def rotate_platform_key(*, actor) -> PlatformKey:
    """A new platform key signs from now on; the old one is retired and still verifies what it signed."""
    current = active_platform_key()
    if current is not None:
        current.state, current.retired_at = PlatformKeyState.RETIRED, utcnow()
        db.session.flush()
    key = _new_key()
    audit.log(actor, "platform_key.rotated", key, kid=key.kid, replaces=current.kid if current else None)
    return key


def _new_key() -> PlatformKey:
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    key = PlatformKey(kid=KID_PREFIX + key_id(public), public_key=public, private_key_enc=encrypt_secret(raw_private),
                      state=PlatformKeyState.ACTIVE)
    db.session.add(key)
    db.session.flush()
    return key


def sign_with(key: PlatformKey, message: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(decrypt_secret(key.private_key_enc)).sign(message)


def publish(_sender) -> list[dict]:
    """The receiver of core.signals.keys_published: one module-level function, so an application made twice in
    a process (tests, workers) connects it once and the keys are listed once."""
    return published_jwks()


def published_jwks() -> list[dict]:
    """The platform keys as JWKs (RFC 8037 OKP/Ed25519), active first: what the JWK set and DID document add."""
    keys = db.session.scalars(select(PlatformKey).order_by(PlatformKey.state, PlatformKey.id.desc()))
    out = []
    for key in keys:
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(key.public_key), "kid": key.kid, "alg": "EdDSA",
               "use": "sig", "issuer": "platform", "state": key.state.value, "nbf": int(key.created_at.timestamp())}
        if key.retired_at:
            jwk["retired_at"] = int(key.retired_at.timestamp())
        out.append(jwk)
    return out
