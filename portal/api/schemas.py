"""Marshmallow schemas: they validate request bodies and generate the OpenAPI document alike."""
from __future__ import annotations

from datetime import UTC, date, datetime

import marshmallow as ma
from marshmallow import fields, validate

from portal.catalog.models import Disposition
from portal.core.countries import codes as country_codes
from portal.warranty.models import ClaimState

#: Digits, with the spaces, dashes or dots people type between them (core.gs1.canonical_gtin drops those).
GTIN_PATTERN = r"^\s*(?:(?:[0-9][ .-]?){7}|(?:[0-9][ .-]?){11,13})[0-9]\s*$"
GTIN_HELP = "GTIN-8, -12, -13 or -14 with its check digit; spaces, dashes and dots between the digits are ignored."
SERIAL_HELP = "Serial number (AI 21): 1 to 20 GS1 CSET 82 characters."


#: Dates outside these years are typing mistakes, and would overflow date arithmetic further on.
DATE_RANGE = validate.Range(min=date(1970, 1, 1), max=date(2199, 12, 31),
                            error="Give a date from 1970 to 2199.")


def day(**kwargs) -> fields.Date:
    return fields.Date(validate=DATE_RANGE, **kwargs)


def gtin_field(**kwargs) -> fields.String:
    kwargs.setdefault("metadata", {"description": GTIN_HELP, "example": "04012345000016"})
    return fields.String(validate=validate.Regexp(GTIN_PATTERN, error="A GTIN is 8, 12, 13 or 14 digits (spaces, dashes and dots between them are ignored)."), **kwargs)


def serial_field(**kwargs) -> fields.String:
    kwargs.setdefault("metadata", {"description": SERIAL_HELP, "example": "ACME-0001"})
    return fields.String(validate=validate.Length(min=1, max=20), **kwargs)


class Strict(ma.Schema):
    """Unknown fields in a request are refused: a typo should not be silently ignored."""

    class Meta:
        unknown = ma.RAISE


# --- Problems --------------------------------------------------------------------------------------

class ProblemErrorSchema(ma.Schema):
    location = fields.String(required=True, metadata={"description": "json, query, path or header"})
    field = fields.String(required=True, metadata={"description": "Dotted path of the field at fault, "
                                                                     "e.g. units.2.gtin"})
    detail = fields.String(required=True)


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document."""

    type = fields.String(required=True, metadata={"description": "Stable URI naming the kind of problem",
                                                  "example": "https://provenance.example/problems/validation"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.List(fields.Nested(ProblemErrorSchema), metadata={"description": "The fields at fault"})


# --- Units -----------------------------------------------------------------------------------------

class UnitRefSchema(ma.Schema):
    gtin = fields.String(required=True)
    serial = fields.String(required=True)


class CoverageSchema(ma.Schema):
    on = fields.Date(required=True, metadata={"description": "The day the answer is for"})
    covered = fields.Boolean(required=True)
    until = fields.Date(required=True, allow_none=True, metadata={"description": "Last covered day, when covered"})
    scopes = fields.List(fields.String(validate=validate.OneOf(["parts", "labour", "accidental"])), required=True)
    words = fields.String(required=True, metadata={"description": "The answer in one sentence, for people"})


class RecallEntrySchema(ma.Schema):
    campaign = fields.String(required=True)
    title = fields.String(required=True)
    manufacturer = fields.String(required=True)
    status = fields.String(required=True)
    hazard = fields.String(required=True)
    remedy = fields.String(required=True)
    instructions = fields.String(required=True)
    contact = fields.String(required=True)
    open = fields.Boolean(required=True)

    class Meta:
        unknown = ma.INCLUDE


class RecallStatusSchema(ma.Schema):
    """The same answer as the public lookup page's JSON (/recalls/lookup?format=json)."""

    gtin = fields.String(required=True)
    serial = fields.String(required=True)
    product = fields.String(required=True)
    status = fields.String(required=True)
    open_recalls = fields.Integer(required=True)
    recalls = fields.List(fields.Nested(RecallEntrySchema), required=True)

    class Meta:
        unknown = ma.INCLUDE


class UnitSchema(ma.Schema):
    gtin = fields.String(required=True)
    serial = fields.String(required=True)
    product = fields.String(required=True)
    lot = fields.String(required=True, allow_none=True)
    manufactured_on = fields.Date(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf([d.value for d in Disposition]),
                           metadata={"description": "EPCIS disposition of the unit's latest event"})
    registered = fields.Boolean(required=True, metadata={"description": "Whether an owner has registered it"})
    parent = fields.Nested(UnitRefSchema, required=True, allow_none=True,
                           metadata={"description": "The unit this one is built into"})
    components = fields.List(fields.Nested(UnitRefSchema), required=True)
    coverage = fields.Nested(CoverageSchema, required=True)
    recalls = fields.Nested(RecallStatusSchema, required=True)


class UnitListItemSchema(ma.Schema):
    gtin = fields.String(required=True)
    serial = fields.String(required=True)
    lot = fields.String(required=True, allow_none=True)
    manufactured_on = fields.Date(required=True, allow_none=True)
    status = fields.String(required=True)


class UnitPageSchema(ma.Schema):
    items = fields.List(fields.Nested(UnitListItemSchema), required=True)
    next = fields.String(required=True, allow_none=True, metadata={"description": "Link to the next page, or null"})


class UnitFilterSchema(ma.Schema):
    gtin = gtin_field()
    lot = fields.String(validate=validate.Length(min=1, max=20))


class NewUnitSchema(Strict):
    gtin = gtin_field(required=True)
    serial = serial_field(required=True)
    lot = fields.String(validate=validate.Length(min=1, max=20), allow_none=True)
    manufactured_on = day(allow_none=True)
    parent_gtin = gtin_field(allow_none=True)
    parent_serial = serial_field(allow_none=True)
    nfc_uid = fields.String(validate=validate.Length(min=1, max=20), allow_none=True,
                            metadata={"description": "NFC tag UID, 7 bytes as 14 hexadecimal digits"})


class UnitBatchSchema(Strict):
    units = fields.List(fields.Nested(NewUnitSchema), required=True, validate=validate.Length(min=1, max=1000),
                        metadata={"description": "1 to 1000 units; parents may come earlier or later in the list"})


class UnitResultSchema(ma.Schema):
    index = fields.Integer(required=True, metadata={"description": "Position in the request's list"})
    gtin = fields.String(required=True)
    serial = fields.String(required=True)
    result = fields.String(required=True, validate=validate.OneOf(["added", "unchanged", "rejected"]))
    detail = fields.String(required=True, allow_none=True, metadata={"description": "Why a row was rejected"})


class UnitBatchResultSchema(ma.Schema):
    added = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    results = fields.List(fields.Nested(UnitResultSchema), required=True)


class ComponentRefSchema(Strict):
    gtin = gtin_field(required=True)
    serial = serial_field(required=True)


class ComponentsSchema(Strict):
    components = fields.List(fields.Nested(ComponentRefSchema), required=True,
                             validate=validate.Length(min=1, max=200))


class AssemblySchema(ma.Schema):
    gtin = fields.String(required=True)
    serial = fields.String(required=True)
    components = fields.List(fields.Nested(UnitRefSchema), required=True)


class CoverageArgsSchema(ma.Schema):
    on = day(metadata={"description": "Day to check (YYYY-MM-DD); today in the warranty time zone if left out"})


class UnitCoverageSchema(CoverageSchema):
    gtin = fields.String(required=True)
    serial = fields.String(required=True)
    reason = fields.String(required=True, metadata={"description": "Which terms cover it, or why none does"})


# --- Sales -----------------------------------------------------------------------------------------

def _iso_country(value: str) -> None:
    if len(value) != 2 or value.upper() not in country_codes():
        raise ma.ValidationError("Not an ISO 3166-1 alpha-2 country code (such as FR, DE, CH).")


class SaleSchema(Strict):
    gtin = gtin_field(required=True)
    serial = serial_field(required=True)
    retailer = fields.String(required=True, validate=validate.Length(min=1, max=160),
                             metadata={"description": "Shop name as the buyer knows it", "example": "Acme Boutique Zurich"})
    sold_on = day(required=True, metadata={"example": "2026-11-27"})
    buyer_email = fields.Email(allow_none=True, validate=validate.Length(max=254),
                               metadata={"description": "When given, the buyer is invited to register the unit",
                                         "example": "buyer@example.com"})
    country = fields.String(allow_none=True, validate=_iso_country,
                            metadata={"description": "The shop's country, ISO 3166-1 alpha-2 (optional; the "
                                                     "console's insights filter by it)", "example": "CH"})


class SaleResultSchema(ma.Schema):
    gtin = fields.String(required=True)
    serial = fields.String(required=True)
    status = fields.String(required=True)
    retailer = fields.String(required=True)
    sold_on = fields.Date(required=True)
    event_id = fields.Integer(required=True)
    invitation_sent = fields.Boolean(required=True)
    country = fields.String(allow_none=True)


# --- Claims ----------------------------------------------------------------------------------------

STATES = [s.value for s in ClaimState]


class ClaimFilterSchema(ma.Schema):
    state = fields.String(validate=validate.OneOf(STATES))


class ClaimEntrySchema(ma.Schema):
    at = fields.AwareDateTime(required=True)
    author_role = fields.String(required=True)
    kind = fields.String(required=True)
    from_state = fields.String(required=True)
    to_state = fields.String(required=True)
    body = fields.String(required=True)


class ClaimSchema(ma.Schema):
    number = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    unit = fields.Nested(UnitRefSchema, required=True)
    category = fields.String(required=True)
    description = fields.String(required=True)
    preferred_remedy = fields.String(required=True)
    goodwill = fields.Boolean(required=True)
    covered_at_filing = fields.Boolean(required=True)
    coverage_reason = fields.String(required=True)
    rma_number = fields.String(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)
    decided_at = fields.AwareDateTime(required=True, allow_none=True)
    next_states = fields.List(fields.String(validate=validate.OneOf(STATES)), required=True,
                              metadata={"description": "States the claims desk may move the claim to now"})


class ClaimDetailSchema(ClaimSchema):
    timeline = fields.List(fields.Nested(ClaimEntrySchema), required=True)


class ClaimPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ClaimSchema), required=True)
    next = fields.String(required=True, allow_none=True)


class TransitionSchema(Strict):
    to = fields.String(required=True, validate=validate.OneOf(STATES))
    note = fields.String(load_default="", validate=validate.Length(max=4000),
                         metadata={"description": "Required when rejecting or asking for information"})
    replacement_serial = serial_field(metadata={"description": "Serial of the replacement unit, when replacing"})


# --- Recalls and remedies --------------------------------------------------------------------------

class CampaignSchema(ma.Schema):
    number = fields.String(required=True)
    title = fields.String(required=True)
    state = fields.String(required=True)
    hazard = fields.String(required=True)
    remedy = fields.String(required=True)
    launched_at = fields.AwareDateTime(required=True, allow_none=True)
    affected = fields.Integer(required=True)
    remedied = fields.Integer(required=True)


class CampaignPageSchema(ma.Schema):
    items = fields.List(fields.Nested(CampaignSchema), required=True)
    next = fields.String(required=True, allow_none=True)


class RemedySchema(Strict):
    campaign = fields.String(required=True, validate=validate.Length(min=1, max=30),
                             metadata={"description": "The recall campaign's number", "example": "R-2026-01"})
    gtin = gtin_field(required=True)
    serial = serial_field(required=True)
    by = fields.String(required=True, validate=validate.Length(min=1, max=254),
                       metadata={"description": "Who did the work (technician, workshop)",
                                 "example": "Workshop Meier, technician A. Frei"})
    where = fields.String(load_default="", validate=validate.Length(max=200), metadata={"example": "Bern"})
    when = fields.AwareDateTime(allow_none=True, default_timezone=UTC, validate=validate.Range(
        min=datetime(1970, 1, 1, tzinfo=UTC), max=datetime(2199, 12, 31, tzinfo=UTC)), metadata={"description": "When it was done; now if left out"})
    what = fields.String(load_default="", validate=validate.Length(max=500),
                         metadata={"description": "What was done", "example": "Strap pin replaced"})


class RemedyResultSchema(ma.Schema):
    campaign = fields.String(required=True)
    gtin = fields.String(required=True)
    serial = fields.String(required=True)
    state = fields.String(required=True)
    remedied_at = fields.AwareDateTime(required=True)
    by = fields.String(required=True)
    where = fields.String(required=True)
    what = fields.String(required=True)
