"""The public passport as a W3C Verifiable Credential (VC Data Model 2.0) secured with JOSE (VC-JOSE-COSE):
a compact JWS whose payload is the credential, signed EdDSA with the manufacturer's active Ed25519 key, the
key named in the portal's did:web document (docs/passport.md, "The verifiable credential").

Only the public tier goes into a credential: it is meant to be passed around and checked by anyone.
"""
from __future__ import annotations

import json

from sqlalchemy import select

from portal.authenticity.keys import b64url, sign
from portal.authenticity.models import KeyState, SigningKey
from portal.catalog.models import Manufacturer
from portal.core.errors import NotFound
from portal.core.signals import keys_published
from portal.core.urls import portal_did
from portal.extensions import db
from portal.passport.fields import Tier
from portal.passport.queries import Passport
from portal.passport.serializer import document

MEDIA_TYPE = "application/vc+jwt"
CONTEXT = "https://www.w3.org/ns/credentials/v2"


def did_document() -> dict:
    """The portal's DID document: every manufacturer key whose signatures still count, as a JsonWebKey
    verification method usable for assertions. Revoked keys are absent, so a credential they signed fails."""
    did = portal_did()
    rows = db.session.execute(select(SigningKey, Manufacturer.slug).join(
        Manufacturer, Manufacturer.id == SigningKey.manufacturer_id).where(
        SigningKey.state != KeyState.REVOKED).order_by(SigningKey.id)).all()
    methods = [{"id": f"{did}#{key.kid}", "type": "JsonWebKey", "controller": did,
                "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": b64url(key.public_key), "kid": key.kid},
                "manufacturer": slug} for key, slug in rows]
    for _receiver, jwks in keys_published.send(None):  # the portal's own keys (resale: the platform key)
        methods += [{"id": f"{did}#{jwk['kid']}", "type": "JsonWebKey", "controller": did,
                     "publicKeyJwk": {k: jwk[k] for k in ("kty", "crv", "x", "kid")}, "issuer": "platform"}
                    for jwk in jwks or [] if jwk.get("state") != "revoked"]
    return {"@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"], "id": did,
            "verificationMethod": methods, "assertionMethod": [m["id"] for m in methods]}


def credential(passport: Passport, base_url: str) -> dict:
    """The unsigned credential: the public passport as its subject."""
    public = document(passport, Tier.PUBLIC, base_url)
    return {
        "@context": [CONTEXT],
        "id": public["passport"]["url"] + f"?version={passport.version}",
        "type": ["VerifiableCredential", "DigitalProductPassportCredential"],
        "issuer": {"id": portal_did(), "name": passport.manufacturer},
        "validFrom": (passport.issued_at.isoformat(timespec="seconds").replace("+00:00", "Z")
                      if passport.issued_at else None),
        "credentialSubject": {"id": passport.product_identifier, **public},
    }


def secured(passport: Passport, base_url: str) -> str:
    """The credential as a compact JWS (typ vc+jwt), signed by the manufacturer's active key."""
    key = db.session.scalar(select(SigningKey).where(SigningKey.manufacturer_id == passport.manufacturer_id,
                                                     SigningKey.state == KeyState.ACTIVE))
    if key is None:
        raise NotFound("The manufacturer has no active signing key, so no credential can be issued.")
    body = {k: v for k, v in credential(passport, base_url).items() if v is not None}
    header = {"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": f"{portal_did()}#{key.kid}"}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()))
    return signing_input + "." + b64url(sign(key, signing_input.encode()))
