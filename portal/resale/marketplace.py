"""Marketplaces and dealers as platform-level API clients (docs/resale.md, "Marketplace API"): their tokens,
verifying a proof by its token or its credential, and webhook subscriptions to a proof's status changes.

A client is not a manufacturer's tenant: a platform admin makes it (`flask marketplace issue`), and its token
(`pvm_<prefix>_<secret>`) carries the scopes proofs:verify and/or proofs:subscribe. Only the secret's sha256 is
kept. Every answer and every webhook is built from `queries.ProofStatus`, which holds nothing about the owner.

Events. A proof's status change becomes one outbox row per live subscription, in the transaction of the change
(invariant 5): revocations, transfers and stolen reports through the `proof_changed` signal, and what only time
or another area changes (expiry, a recall) through `sweep`, which the worker runs each minute. Each event has an
id that stays the same through every retry, and a subscription announces a state once per change.
"""
from __future__ import annotations

import hmac
import json
import secrets
from datetime import UTC, datetime, time, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import current_app
from sqlalchemy import select

from portal.authenticity.keys import b64url_decode
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, InsufficientScope, Invalid, NotFound, Unauthenticated
from portal.core.secrets import digest, encrypt_secret
from portal.extensions import db
from portal.notifications.services import enqueue_message
from portal.resale import queries
from portal.resale.marketplace_models import (
    MARKETPLACE_MARK,
    MarketplaceClient,
    MarketplaceScope,
    WebhookSubscription,
)
from portal.resale.marketplace_webhooks import CHANNEL, TEMPLATE, check_url
from portal.resale.models import OwnershipProof, PlatformKey
from portal.resale.public_json import status_document

PREFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
PREFIX_LENGTH = 10
MAX_DAYS = 730
#: Live subscriptions one client may hold on one proof.
MAX_SUBSCRIPTIONS_PER_PROOF = 3
#: How often the worker looks for changes no signal announces (expiry, recalls).
SWEEP_EVERY = timedelta(minutes=1)


# --- clients ----------------------------------------------------------------------------------------------

def issue_client(*, name: str, scopes, days: int, actor) -> tuple[MarketplaceClient, str]:
    """A marketplace client and its token, shown this once."""
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise Invalid("Name the marketplace (up to 80 characters).", field="name")
    known = {s.value for s in MarketplaceScope}
    chosen = [s for s in (scopes or []) if s]
    if not chosen or any(s not in known for s in chosen):
        raise Invalid(f"Choose scopes among {', '.join(sorted(known))}.", field="scopes")
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"A marketplace token lasts 1 to {MAX_DAYS} days.", field="days")
    now = utcnow()
    prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    secret = secrets.token_urlsafe(32)
    client = MarketplaceClient(name=name, prefix=prefix, secret_hash=digest(secret),
                               scopes=" ".join(s.value for s in MarketplaceScope if s.value in chosen), created_at=now,
                               expires_at=datetime.combine(now.date() + timedelta(days=days + 1), time(0), UTC))
    db.session.add(client)
    db.session.flush()
    audit.log(actor, "marketplace.client_issued", client, name=name, prefix=prefix, scopes=client.scopes)
    return client, f"{MARKETPLACE_MARK}_{prefix}_{secret}"


def revoke_client(prefix: str, *, actor) -> MarketplaceClient:
    client = db.session.scalar(select(MarketplaceClient).where(MarketplaceClient.prefix == prefix))
    if client is None:
        raise NotFound(f"No marketplace client has the prefix {prefix!r}.")
    if client.revoked_at is not None:
        raise Conflict("This marketplace client is already revoked.")
    client.revoked_at = utcnow()
    audit.log(actor, "marketplace.client_revoked", client, prefix=prefix)
    return client


def authenticate(raw: str | None, scope: MarketplaceScope) -> MarketplaceClient:
    """The client whose token this is, allowed `scope` now; else Unauthenticated / InsufficientScope."""
    mark, _, rest = (raw or "").partition("_")
    prefix, _, secret = rest.partition("_")
    if mark != MARKETPLACE_MARK or len(prefix) != PREFIX_LENGTH or not secret or len(secret) > 200:
        raise Unauthenticated("Send a marketplace token as 'Authorization: Bearer pvm_...'; the platform's "
                              "administrators issue them.")
    client = db.session.scalar(select(MarketplaceClient).where(MarketplaceClient.prefix == prefix))
    if client is None or not hmac.compare_digest(client.secret_hash, digest(secret)):
        raise Unauthenticated("This token is not valid.")
    now = utcnow()
    if client.revoked_at is not None:
        raise Unauthenticated("This token was revoked.")
    if now >= client.expires_at:
        raise Unauthenticated("This token has expired.")
    if not client.allows(scope):
        raise InsufficientScope(f"This token lacks the scope {scope.value}.")
    if client.last_used_at is None or now - client.last_used_at > timedelta(minutes=1):
        client.last_used_at = now
    return client


# --- verifying ---------------------------------------------------------------------------------------------

def status_of_token(token: str) -> tuple[queries.ProofStatus, str]:
    status = queries.proof_status(token)
    if status is None:
        raise NotFound("No proof has this id. Check the link the seller gave.")
    return status, _proof_url(token)


def _proof_url(token: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + f"/proof/{token}"


def verify_credential(jws: str) -> tuple[dict, queries.ProofStatus, str]:
    """Check a proof's credential (compact JWS, VC-JOSE) against the platform's published keys; its claims,
    and the live status of the proof it names. A forged, altered or foreign credential is Invalid."""
    parts = (jws or "").strip().split(".")
    if len(parts) != 3 or len(jws) > 20_000:
        raise Invalid("A credential is a compact JWS: three base64url parts separated by dots.", field="credential")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError):
        raise Invalid("This credential cannot be read.", field="credential") from None
    if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "EdDSA":
        raise Invalid("This is not a credential of Provenance (EdDSA, vc+jwt).", field="credential")
    kid = str(header.get("kid", "")).rpartition("#")[2]
    key = db.session.scalar(select(PlatformKey).where(PlatformKey.kid == kid)) if kid else None
    if key is None:
        raise Invalid("This credential was not signed by a key of Provenance.", field="credential")
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature, f"{parts[0]}.{parts[1]}".encode())
    except InvalidSignature:
        raise Invalid("The credential's signature does not match: it was altered or forged.",
                      field="credential") from None
    prefix = _proof_url("")
    proof_id = str(claims.get("id", ""))
    if not proof_id.startswith(prefix):
        raise Invalid("This credential names no proof of this portal.", field="credential")
    status, url = status_of_token(proof_id[len(prefix):])
    return claims, status, url


# --- subscriptions -----------------------------------------------------------------------------------------

def subscribe(client: MarketplaceClient, token: str, url: str) -> tuple[WebhookSubscription, str]:
    """Watch a proof's status at `url`; returns the subscription and its signing secret (shown once)."""
    proof = queries.find_proof(token)
    if proof is None:
        raise NotFound("No proof has this id. Check the link the seller gave.", field="proof")
    url = check_url(url)
    live = db.session.scalars(select(WebhookSubscription).where(
        WebhookSubscription.client_id == client.id, WebhookSubscription.proof_id == proof.id,
        WebhookSubscription.cancelled_at.is_(None))).all()
    if len(live) >= MAX_SUBSCRIPTIONS_PER_PROOF:
        raise Conflict(f"You already have {MAX_SUBSCRIPTIONS_PER_PROOF} webhooks on this proof; cancel one first.")
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = WebhookSubscription(client_id=client.id, proof_id=proof.id, url=url,
                                       secret_enc=encrypt_secret(secret.encode()), created_at=utcnow(),
                                       last_state=queries.status_of(proof).state.value, events=0)
    db.session.add(subscription)
    db.session.flush()
    audit.log(f"marketplace {client.prefix} ({client.name})"[:120], "marketplace.subscribed", subscription,
              proof_id=proof.id)
    return subscription, secret


def reference_of(subscription: WebhookSubscription) -> str:
    return queries.reference_of(subscription.proof)


def cancel(client: MarketplaceClient, subscription_id: int) -> WebhookSubscription:
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.client_id != client.id:  # another client's: as unknown
        raise NotFound("No webhook of yours has this id.")
    if subscription.cancelled_at is None:
        subscription.cancelled_at = utcnow()
    return subscription


def _live_subscriptions(proof_id: int) -> list[WebhookSubscription]:
    return list(db.session.scalars(select(WebhookSubscription).join(MarketplaceClient).where(
        WebhookSubscription.proof_id == proof_id, WebhookSubscription.cancelled_at.is_(None),
        MarketplaceClient.revoked_at.is_(None))))


def event_document(subscription: WebhookSubscription, status: dict, at: datetime) -> dict:
    """What a webhook carries: the event's id and kind, and the proof's status as every machine reader gets it
    (`status`: public_json.status_document), which holds nothing about the owner."""
    return {"id": "evt_" + secrets.token_hex(16), "type": "proof.status_changed",
            "createdAt": at.isoformat(timespec="seconds").replace("+00:00", "Z"), "subscription": subscription.id,
            "status": status}


def announce(proof: OwnershipProof, now: datetime | None = None) -> int:
    """One event per live subscription of `proof` whose last announced state differs from the proof's state
    now; returns how many were enqueued."""
    now = now or utcnow()
    status = queries.status_of(proof, now)
    document = None  # the proof's status document: the same for every subscriber, so made once
    made = 0
    for subscription in _live_subscriptions(proof.id):
        if subscription.last_state == status.state.value:
            continue
        if document is None:
            document = status_document(status, _proof_url(queries.token_of(proof)))
        subscription.events += 1
        subscription.last_state = status.state.value
        event = event_document(subscription, document, now)
        enqueue_message(channel=CHANNEL, recipient=subscription.url, template=TEMPLATE,
                        subject=f"proof {status.reference} {status.state.value}",
                        dedupe_key=f"webhook:{subscription.id}:{subscription.events}",
                        topic=f"webhook:{subscription.id}",
                        context=json.dumps({"subscription_id": subscription.id, "event": event}))
        made += 1
    db.session.flush()
    return made


def proof_changed(proof_id: int, **_extra) -> None:
    """Receiver of core.signals.proof_changed: the proof's subscribers hear of it in the same transaction."""
    proof = db.session.get(OwnershipProof, proof_id)
    if proof is not None:
        announce(proof)


def sweep(now: datetime | None = None) -> int:
    """Announce the changes no signal reports (a proof expiring, a recall reaching its unit): every proof with a
    live subscription is read again. Run by the worker; returns how many events it enqueued."""
    now = now or utcnow()
    proof_ids = db.session.scalars(select(WebhookSubscription.proof_id).distinct().where(
        WebhookSubscription.cancelled_at.is_(None)))
    made = 0
    for proof_id in list(proof_ids):
        made += announce(db.session.get(OwnershipProof, proof_id), now)
    return made


_last_sweep: dict[str, datetime] = {}


def sweep_due(now: datetime | None = None) -> bool:
    now = now or utcnow()
    last = _last_sweep.get("at")
    if last is not None and now - last < SWEEP_EVERY:
        return False
    _last_sweep["at"] = now
    return True
