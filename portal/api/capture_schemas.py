"""Schemas of the bulk endpoints (EPCIS capture, CSV import jobs); kept apart from schemas.py for size."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from portal.catalog.import_jobs import ImportState

RESULTS = ["accepted", "duplicate", "rejected"]


class CaptureArgsSchema(ma.Schema):
    atomic = fields.Boolean(load_default=False, metadata={
        "description": "true: refuse the whole document when any event fails (nothing is captured). "
                       "false (default): capture the good events and report the others."})


class CaptureErrorSchema(ma.Schema):
    index = fields.Integer(required=True, metadata={"description": "Position in the event list, from 0"})
    event_id = fields.String(required=True, allow_none=True)
    type = fields.String(required=True, allow_none=True, metadata={"example": "ObjectEvent"})
    detail = fields.String(required=True, metadata={"description": "Why the event was not captured"})
    epcs = fields.List(fields.String(), required=True,
                       metadata={"description": "The identifiers the event names, as sent (at most 20)"})


class CaptureResultSchema(ma.Schema):
    index = fields.Integer(required=True)
    event_id = fields.String(required=True, allow_none=True)
    result = fields.String(required=True, validate=validate.OneOf(RESULTS))


class CaptureReportSchema(ma.Schema):
    events = fields.Integer(required=True, metadata={"description": "Events in the document"})
    accepted = fields.Integer(required=True, metadata={"description": "Events captured now"})
    duplicates = fields.Integer(required=True, metadata={
        "description": "Events captured before (same eventID); nothing changed for them"})
    rejected = fields.Integer(required=True)
    units_created = fields.Integer(required=True, metadata={"description": "Units commissioned"})
    unit_events = fields.Integer(required=True, metadata={"description": "Unit events recorded"})
    errors = fields.List(fields.Nested(CaptureErrorSchema), required=True)
    results = fields.List(fields.Nested(CaptureResultSchema), required=True,
                          metadata={"description": "One entry per event, in order"})


#: The request body: EPCIS documents are open-ended (extensions), so they are read by the capture itself.
CAPTURE_BODY = {
    "required": True,
    "description": "An EPCIS 2.0 document in JSON or JSON-LD (type EPCISDocument, events in "
                   "epcisBody.eventList), a list of events, or one event. Unknown fields are allowed.",
    "content": {media: {"schema": {"oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]},
                        "example": {"type": "EPCISDocument", "schemaVersion": "2.0",
                                    "creationDate": "2026-11-27T08:00:00Z", "epcisBody": {"eventList": []}}}
                for media in ("application/ld+json", "application/json")},
}

IMPORT_BODY = {
    "required": True,
    "description": "The CSV, with the header gtin,serial,lot,manufactured_on,parent_gtin,parent_serial,nfc_uid "
                   "(all but gtin and serial optional): as the body (text/csv) or as the form field `file`.",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                           "properties": {"file": {"type": "string", "format": "binary"}}}},
    },
}


class ImportJobSchema(ma.Schema):
    id = fields.Integer(required=True)
    state = fields.String(required=True, validate=validate.OneOf([s.value for s in ImportState]),
                          metadata={"description": "queued, running, done or failed"})
    filename = fields.String(required=True)
    rows_total = fields.Integer(required=True, metadata={"description": "Records in the file"})
    rows_done = fields.Integer(required=True, metadata={"description": "Records read so far"})
    percent = fields.Integer(required=True)
    added = fields.Integer(required=True)
    unchanged = fields.Integer(required=True, metadata={"description": "Units that were there already"})
    rejected = fields.Integer(required=True, metadata={"description": "Rows refused; see the error report"})
    error = fields.String(required=True, allow_none=True, metadata={"description": "Why a failed job failed"})
    created_at = fields.AwareDateTime(required=True)
    started_at = fields.AwareDateTime(required=True, allow_none=True)
    finished_at = fields.AwareDateTime(required=True, allow_none=True)
    href = fields.String(required=True, metadata={"description": "This job's address"})
    errors_href = fields.String(required=True, metadata={"description": "The per-row error report (CSV), "
                                                                        "once the job is done"})


class ImportJobPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ImportJobSchema), required=True)
    next = fields.String(required=True, allow_none=True)
