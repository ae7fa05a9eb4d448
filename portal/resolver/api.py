"""/api/v1/links: the links a manufacturer publishes at its Digital Links, for its own systems (scoped tokens).

The routes join the API blueprint (portal.api), so they share its bearer tokens, problem documents,
Idempotency-Key handling and OpenAPI document; the rules are the console's (resolver/services.py).
"""
from __future__ import annotations

import marshmallow as ma
from flask import g
from marshmallow import fields, validate

from portal.api.blueprint import bp, operation
from portal.api.models import Scope
from portal.api.schemas import Strict, gtin_field
from portal.resolver import queries, services
from portal.resolver.models import LinkScope, ManagedLink
from portal.resolver.vocabulary import MANAGED_TYPES

TAG = "Digital Links"


class LinkInSchema(Strict):
    gtin = gtin_field(required=True)
    scope = fields.String(required=True, validate=validate.OneOf([s.value for s in LinkScope]),
                          metadata={"description": "model (the GTIN), lot (one lot) or unit (every unit, a template)"})
    lot = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20),
                        metadata={"description": "The lot, for the lot scope only"})
    link_type = fields.String(required=True, metadata={
        "description": "A GS1 Web Vocabulary link type: " + ", ".join(f"gs1:{t}" for t in MANAGED_TYPES),
        "example": "gs1:instructions"})
    target = fields.String(required=True, validate=validate.Length(max=1000), metadata={
        "description": "https only; for the unit scope a template that may hold {serial}, {gtin}, {lot}, {cpv}",
        "example": "https://brand.example/care/{serial}"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    language = fields.String(load_default="", metadata={"example": "en"})
    media_type = fields.String(load_default="text/html", metadata={"example": "text/html"})
    context = fields.String(load_default="")
    default = fields.Boolean(load_default=False, metadata={"description": "The default link of its level"})


class LinkSchema(ma.Schema):
    id = fields.Integer()
    gtin = fields.String()
    scope = fields.String()
    lot = fields.String(allow_none=True)
    link_type = fields.String(metadata={"example": "gs1:instructions"})
    target = fields.String()
    title = fields.String()
    language = fields.String()
    media_type = fields.String()
    context = fields.String()
    default = fields.Boolean()
    retired = fields.Boolean()


class LinkListSchema(ma.Schema):
    links = fields.List(fields.Nested(LinkSchema))


def _out(link: ManagedLink) -> dict:
    return {"id": link.id, "gtin": queries.gtin_of(link.model_id), "scope": link.scope.value, "lot": link.lot,
            "link_type": f"gs1:{link.link_type}", "target": link.target, "title": link.title,
            "language": link.language, "media_type": link.media_type, "context": link.context,
            "default": link.is_default, "retired": link.retired_at is not None}


def _fields(body: dict) -> services.LinkFields:
    return services.LinkFields(gtin=body["gtin"], scope=body["scope"], link_type=body["link_type"],
                               target=body["target"], title=body["title"], lot=body.get("lot"),
                               language=body.get("language") or "", media_type=body.get("media_type") or "",
                               context=body.get("context") or "", is_default=body.get("default", False))


@bp.route("/links", methods=["GET"], tags=[TAG])
@operation(Scope.LINKS_READ)
@bp.response(200, LinkListSchema)
def list_links():
    """List your links

    Every link you publish at your products' Digital Links, live ones first; retired ones answer 410.
    """
    return {"links": [_out(link) for link in queries.links_of_tenant(g.tenant.id)]}


@bp.route("/links", methods=["POST"], tags=[TAG])
@operation(Scope.LINKS_WRITE, body=True, errors=(422,))
@bp.arguments(LinkInSchema)
@bp.response(201, LinkSchema)
def create_link(body: dict):
    """Publish a link

    At a model's GTIN, one lot, or every unit (a URI template). Marking it the default moves its level's
    default to it. Every change is in the audit log.
    """
    return _out(services.add_link(g.tenant, _fields(body), actor=g.api_token.actor_label))


@bp.route("/links/<int:link_id>", methods=["PUT"], tags=[TAG])
@operation(Scope.LINKS_WRITE, body=True, errors=(422,))
@bp.arguments(LinkInSchema)
@bp.response(200, LinkSchema)
def replace_link(body: dict, link_id: int):
    """Change a link

    The whole link is given again; a retired link cannot be changed.
    """
    return _out(services.update_link(g.tenant, link_id, _fields(body), actor=g.api_token.actor_label))


@bp.route("/links/<int:link_id>/retire", methods=["POST"], tags=[TAG])
@operation(Scope.LINKS_WRITE, body=True)
@bp.response(200, LinkSchema)
def retire_link(link_id: int):
    """Retire a link

    It leaves the linkset; a request for its type answers 410 Gone where no other link of that type is left.
    """
    return _out(services.retire_link(g.tenant, link_id, actor=g.api_token.actor_label))
