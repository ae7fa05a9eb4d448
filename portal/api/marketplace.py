"""The marketplace API: marketplaces and dealers, with a platform token (not a manufacturer's), verify an
ownership proof by its id or its credential, ask whether it still holds at the moment of sale, and subscribe a
webhook to its status changes (docs/resale.md, "Marketplace API"). No answer names the owner."""
from __future__ import annotations

from functools import wraps
from http import HTTPStatus

import marshmallow as ma
from flask import g
from marshmallow import fields, validate

from portal.api import idempotency
from portal.api.blueprint import Blueprint, bearer, bp
from portal.core.db import utcnow
from portal.resale import marketplace
from portal.resale.marketplace_models import MarketplaceScope
from portal.resale.public_json import status_document

SECURITY = "marketplaceAuth"


def marketplace_operation(scope: MarketplaceScope, *, errors=(), body: bool = False):
    """Authenticate a marketplace token holding `scope`; a POST (`body`) commits once."""
    codes = {401, 403, 404, 429, *errors} | ({400, 413, 415, 422} if body else set())

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            g.marketplace_client = marketplace.authenticate(bearer(), scope)
            if not body:
                return view(*args, **kwargs)
            return idempotency.run(None, view, args, kwargs)

        doc = {"responses": {code: HTTPStatus(code).name for code in sorted(codes)},
               "security": [{SECURITY: [scope.value]}]}
        return Blueprint.doc(**doc)(wrapper)

    return decorate


# --- schemas: the proof's status as every machine reader gets it (resale/public_json.py) -------------------

class ProofFactsSchema(ma.Schema):
    reference = fields.String(required=True, metadata={"description": "Short public reference to quote"})
    url = fields.String(required=True)
    state = fields.String(required=True, metadata={
        "description": "valid, recalled (valid, under an open recall), stolen, transferred, revoked or expired"})
    holds = fields.Boolean(required=True, metadata={
        "description": "Does the proof still prove that the person presenting it owns the unit?"})
    verdict = fields.String(required=True, metadata={"description": "genuine, warning or cannot_verify"})
    issuedAt = fields.String(required=True)
    expiresAt = fields.String(required=True)
    endedAt = fields.String(allow_none=True)


class ProductSchema(ma.Schema):
    gtin = fields.String(required=True)
    name = fields.String(required=True)
    manufacturer = fields.String(required=True)
    serial = fields.String(required=True, metadata={"description": "In full or masked, as the owner chose"})
    serialMasked = fields.Boolean(required=True)
    manufactured = fields.String(allow_none=True, metadata={"description": "YYYY-MM"})


class RecallSchema(ma.Schema):
    number = fields.String(required=True)
    title = fields.String(required=True)
    open = fields.Boolean(required=True)


class WarrantySchema(ma.Schema):
    carries = fields.Boolean(required=True)
    until = fields.String(allow_none=True)
    scopes = fields.List(fields.String(), required=True)


class ServiceLineSchema(ma.Schema):
    date = fields.String(required=True)
    kind = fields.String(required=True)
    centre = fields.String(required=True)


class ProofStatusSchema(ma.Schema):
    proof = fields.Nested(ProofFactsSchema, required=True)
    product = fields.Nested(ProductSchema, required=True)
    registeredToPresenterSince = fields.String(allow_none=True, metadata={
        "description": "YYYY-MM the presenter's registration began; null unless the proof holds"})
    reportedStolen = fields.Boolean(required=True)
    recalls = fields.List(fields.Nested(RecallSchema), required=True)
    warrantyOnTransfer = fields.Nested(WarrantySchema, allow_none=True)
    serviceHistory = fields.List(fields.Nested(ServiceLineSchema), allow_none=True)
    transferOffered = fields.Boolean(required=True)


class SaleCheckSchema(ma.Schema):
    holds = fields.Boolean(required=True)
    state = fields.String(required=True)
    checkedAt = fields.String(required=True)
    status = fields.Nested(ProofStatusSchema, required=True)


class CredentialSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    credential = fields.String(required=True, validate=validate.Length(min=1, max=20_000),
                               metadata={"description": "The proof's credential: a compact JWS (vc+jwt)"})


class CredentialCheckSchema(ma.Schema):
    signatureValid = fields.Boolean(required=True)
    validFrom = fields.String(allow_none=True)
    validUntil = fields.String(allow_none=True)
    status = fields.Nested(ProofStatusSchema, required=True, metadata={"description": "The proof's status now"})


class NewSubscriptionSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    proof = fields.String(required=True, validate=validate.Length(min=1, max=64),
                          metadata={"description": "The proof's id: the last part of its link"})
    url = fields.String(required=True, validate=validate.Length(min=1, max=254),
                        metadata={"description": "https URL on a public address; no redirects are followed"})


class SubscriptionSchema(ma.Schema):
    id = fields.Integer(required=True)
    proof = fields.String(required=True, metadata={"description": "The proof's public reference"})
    url = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": "The proof's state when subscribing"})
    createdAt = fields.String(required=True)
    cancelledAt = fields.String(allow_none=True)
    secret = fields.String(metadata={"description": "The signing secret: only in the answer that creates it"})


def _moment(value) -> str | None:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z") if value else None


def _subscription(subscription, reference: str, secret: str | None = None) -> dict:
    answer = {"id": subscription.id, "proof": reference, "url": subscription.url, "state": subscription.last_state,
              "createdAt": _moment(subscription.created_at), "cancelledAt": _moment(subscription.cancelled_at)}
    if secret is not None:
        answer["secret"] = secret
    return answer


# --- endpoints ---------------------------------------------------------------------------------------------

@bp.route("/marketplace/proofs/<token>", methods=["GET"], tags=["Marketplace"])
@marketplace_operation(MarketplaceScope.VERIFY)
@bp.response(200, ProofStatusSchema)
def marketplace_proof(token: str):
    """Verify a proof by its id

    The proof's live status: whether it holds, the product, since when the presenter has held it (month), the
    stolen and recall facts and the warranty a buyer would get. Nothing about who the owner is.
    """
    status, url = marketplace.status_of_token(token)
    return status_document(status, url)


@bp.route("/marketplace/proofs/<token>/sale-check", methods=["GET"], tags=["Marketplace"])
@marketplace_operation(MarketplaceScope.VERIFY)
@bp.response(200, SaleCheckSchema)
def marketplace_sale_check(token: str):
    """Does the seller's proof still hold now?

    Ask at the moment of sale: `holds` is false once the proof was revoked, expired, the unit changed hands or
    was reported stolen. `checkedAt` is the portal's clock when it answered.
    """
    status, url = marketplace.status_of_token(token)
    return {"holds": status.holds, "state": status.state.value, "checkedAt": _moment(utcnow()),
            "status": status_document(status, url)}


@bp.route("/marketplace/credentials/verify", methods=["POST"], tags=["Marketplace"])
@marketplace_operation(MarketplaceScope.VERIFY, body=True)
@bp.arguments(CredentialSchema)
@bp.response(200, CredentialCheckSchema)
def marketplace_verify_credential(data: dict):
    """Verify a proof's credential

    Checks the compact JWS against the platform keys published in /.well-known/jwks.json (a forged or altered
    credential is refused with 422), then answers the live status of the proof it names.
    """
    claims, status, url = marketplace.verify_credential(data["credential"])
    return {"signatureValid": True, "validFrom": claims.get("validFrom"), "validUntil": claims.get("validUntil"),
            "status": status_document(status, url)}


@bp.route("/marketplace/subscriptions", methods=["POST"], tags=["Marketplace"])
@marketplace_operation(MarketplaceScope.SUBSCRIBE, errors=(409,), body=True)
@bp.arguments(NewSubscriptionSchema)
@bp.response(201, SubscriptionSchema)
def marketplace_subscribe(data: dict):
    """Subscribe a webhook to a proof's status

    Each change of the proof's state (revoked, expired, transferred, reported stolen, recalled) is POSTed to
    `url` as JSON, signed with the `secret` this answer shows once (HMAC-SHA256, see docs/resale.md), retried
    with backoff until the URL answers 2xx. Its `Provenance-Event-Id` stays the same through retries.
    """
    subscription, secret = marketplace.subscribe(g.marketplace_client, data["proof"], data["url"])
    return _subscription(subscription, marketplace.reference_of(subscription), secret)


@bp.route("/marketplace/subscriptions/<int:subscription_id>/cancel", methods=["POST"], tags=["Marketplace"])
@marketplace_operation(MarketplaceScope.SUBSCRIBE, body=True)
@bp.response(200, SubscriptionSchema)
def marketplace_cancel(subscription_id: int):
    """Cancel a webhook

    No event is enqueued for it from now on. Another client's webhook answers 404.
    """
    subscription = marketplace.cancel(g.marketplace_client, subscription_id)
    return _subscription(subscription, marketplace.reference_of(subscription))
