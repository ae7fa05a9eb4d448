"""An ownership proof as a W3C Verifiable Credential (VC Data Model 2.0), secured with JOSE (VC-JOSE-COSE): a
compact JWS whose header says `typ: vc+jwt` and `cty: vc`, whose payload is the credential itself, signed EdDSA
with the portal's platform key (resale/keys.py), named by its kid in the JWK set and the did:web document.

The credential states the facts of the proof at the moment it is issued (`validFrom`), until the proof
expires (`validUntil`); `credentialStatus` names the proof's live status, which a verifier online should ask
(docs/resale.md, "The verifiable credential"). It holds nothing about the owner: the subject is the unit.
"""
from __future__ import annotations

import json
from datetime import datetime

from portal.authenticity.keys import b64url
from portal.core.errors import Invalid
from portal.resale.keys import platform_key, sign_with
from portal.resale.queries import ProofStatus

CONTEXT = "https://www.w3.org/ns/credentials/v2"
MEDIA_TYPE = "application/vc+jwt"


def _moment(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def credential(status: ProofStatus, *, proof_url: str, status_url: str, issuer: str, now: datetime) -> dict:
    """The unsigned credential for a proof that holds."""
    product = status.product
    subject = {
        "type": "OwnershipProofSubject",
        "genuine": True,
        "product": {"gtin": product.gtin, "name": product.model_name, "manufacturer": product.manufacturer,
                    "serial": product.serial, "serialMasked": product.serial_masked},
        "registeredToPresenterSince": status.registered_since.strftime("%Y-%m") if status.registered_since else None,
        "reportedStolen": status.stolen,
        "recalls": [{"number": r.number, "title": r.title, "open": r.open} for r in status.recalls],
        "warrantyOnTransfer": ({"carries": True, "until": status.warranty.until.isoformat(),
                                "scopes": list(status.warranty.scopes)}
                               if status.warranty and status.warranty.carries else {"carries": False}),
    }
    if product.manufactured_month:
        subject["product"]["manufactured"] = product.manufactured_month.strftime("%Y-%m")
    if status.service is not None:
        subject["serviceHistory"] = [{"date": e.performed_on.isoformat(), "kind": e.kind, "centre": e.centre,
                                      "partSerial": e.part_serial, "source": e.source} for e in status.service]
    return {
        "@context": [CONTEXT],
        "id": proof_url,
        "type": ["VerifiableCredential", "OwnershipProofCredential"],
        "issuer": {"id": issuer, "name": "Provenance"},
        "validFrom": _moment(now),
        "validUntil": _moment(status.expires_at),
        "credentialStatus": {"id": status_url, "type": "ProvenanceLiveProofStatus"},
        "credentialSubject": subject,
    }


def secured(status: ProofStatus, *, proof_url: str, status_url: str, issuer: str, now: datetime) -> str:
    """The credential as a compact JWS (RFC 7515) signed by the active platform key; only for a proof that
    holds (a credential is never issued for facts the portal no longer vouches for)."""
    if not status.holds:
        raise Invalid("This proof no longer holds, so no credential is issued for it.")
    key = platform_key()
    header = {"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": f"{issuer}#{key.kid}"}
    body = credential(status, proof_url=proof_url, status_url=status_url, issuer=issuer, now=now)
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()))
    return signing_input + "." + b64url(sign_with(key, signing_input.encode()))
