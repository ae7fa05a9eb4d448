"""Service history over the API: a service partner's system records what its workshop did to a unit."""
from __future__ import annotations

import base64
import binascii

import marshmallow as ma
from marshmallow import fields, validate

from portal.api.blueprint import bp, current_token, operation
from portal.api.models import Scope
from portal.api.schemas import DATE_RANGE, Strict, UnitRefSchema
from portal.api.units import load_unit, ref
from portal.core.errors import Invalid
from portal.core.storage import store_proof
from portal.servicing.models import RecordedVia, ServiceEntry, ServiceKind
from portal.servicing.services import record_service


class DocumentSchema(Strict):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=160))
    content_base64 = fields.String(required=True, metadata={
        "description": "The file, base64-encoded: a PDF without scripts or actions, or a JPEG, PNG or WebP photo "
                       "(re-encoded without its metadata). The whole request stays under the API's body limit."})


class NewServiceSchema(Strict):
    performed_on = fields.Date(required=True, validate=DATE_RANGE,
                               metadata={"description": "Not in the future, not before the unit was made"})
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in ServiceKind]))
    part_serial = fields.String(validate=validate.Length(max=40), metadata={
        "description": "The serial of the part fitted: required for part_replaced, refused otherwise"})
    centre = fields.String(required=True, validate=validate.Length(min=1, max=120),
                           metadata={"description": "The service centre's name, shown to the owner"})
    notes = fields.String(load_default="", validate=validate.Length(max=2000),
                          metadata={"description": "For the owner; no customer names or addresses"})
    document = fields.Nested(DocumentSchema)


class ServiceDocumentSchema(ma.Schema):
    name = fields.String(required=True)
    mime = fields.String(required=True)
    size = fields.Integer(required=True)


class ServiceEntrySchema(ma.Schema):
    id = fields.Integer(required=True)
    unit = fields.Nested(UnitRefSchema, required=True)
    performed_on = fields.Date(required=True)
    kind = fields.String(required=True)
    part_serial = fields.String(allow_none=True)
    centre = fields.String(required=True)
    notes = fields.String(required=True)
    document = fields.Nested(ServiceDocumentSchema, allow_none=True)
    recorded_via = fields.String(required=True)
    created_at = fields.DateTime(required=True)


def describe(entry: ServiceEntry) -> dict:
    document = ({"name": entry.document_name, "mime": entry.document_mime, "size": entry.document_size}
                if entry.document_key else None)
    return {"id": entry.id, "unit": ref(entry.unit), "performed_on": entry.performed_on, "kind": entry.kind.value,
            "part_serial": entry.part_serial, "centre": entry.centre, "notes": entry.notes, "document": document,
            "recorded_via": entry.recorded_via.value, "created_at": entry.created_at}


def _decoded(document: dict) -> bytes:
    try:
        return base64.b64decode(document["content_base64"], validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("The document is not valid base64.", field="document") from None


@bp.route("/units/<gtin:gtin>/<serial:serial>/services", methods=["POST"], tags=["Service history"])
@operation(Scope.SERVICE_WRITE, errors=(403, 422), body=True)
@bp.arguments(NewServiceSchema)
@bp.response(201, ServiceEntrySchema)
def create_service(data: dict, gtin: str, serial: str):
    """Record a service on a unit

    A service, repair, part replaced (with the part's serial), polish or battery, with the centre's name,
    notes for the owner and optionally the report or invoice. The token's issuer must be a service partner
    (or an admin) of the unit's manufacturer when the call is made; the owner sees the entry on their unit
    page. Entries are never edited: send an Idempotency-Key so a retry records it once.
    """
    unit = load_unit(gtin, serial)
    document = None
    if data.get("document"):
        try:
            document = store_proof(_decoded(data["document"]), data["document"]["filename"])
        except Invalid as err:
            err.field = "document"
            raise
    entry = record_service(unit, actor=current_token().created_by, performed_on=data["performed_on"],
                           kind=data["kind"], centre=data["centre"], notes=data["notes"],
                           part_serial=data.get("part_serial"), document=document, via=RecordedVia.API)
    return describe(entry)
