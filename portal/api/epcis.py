"""EPCIS 2.0 capture: a manufacturer's systems send their events; they become unit events."""
from __future__ import annotations

import json

from flask import g, request

from portal.api.blueprint import bp, current_token, operation
from portal.api.capture_schemas import CAPTURE_BODY, CaptureArgsSchema, CaptureReportSchema
from portal.api.models import Scope
from portal.api.problems import MalformedJson, UnsupportedMediaType
from portal.catalog.epcis.capture import capture_document

JSON_TYPES = ("application/json",)  # and any "+json" type, application/ld+json among them


def read_document():
    """The body as JSON. EPCIS documents are open-ended, so no schema reads them: the capture does."""
    if request.mimetype not in JSON_TYPES and not request.mimetype.endswith("+json"):
        raise UnsupportedMediaType("Send the document as 'Content-Type: application/ld+json' or "
                                   "'application/json'.", field="Content-Type")
    try:
        return json.loads(request.get_data(cache=True))
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise MalformedJson(f"The request body is not valid JSON ({str(err)[:120]}).") from None


@bp.route("/epcis/capture", methods=["POST"], tags=["EPCIS"])
@operation(Scope.EVENTS_WRITE, body=True)
@bp.arguments(CaptureArgsSchema, location="query")
@bp.response(200, CaptureReportSchema)
@bp.doc(requestBody=CAPTURE_BODY)
def capture_epcis(args: dict):
    """Capture EPCIS events

    An EPCIS 2.0 document (JSON or JSON-LD): ObjectEvent, AggregationEvent and TransformationEvent, with
    units named as SGTIN URNs or GS1 Digital Link URIs. Commissioning creates units of your product models;
    other events are recorded in the history of your units. An event naming units that are not yours is
    reported with the reason and the others are captured, unless `atomic=true`. An event captured before
    (same eventID) changes nothing and is reported as a duplicate.
    """
    report = capture_document(g.tenant, read_document(), atomic=args["atomic"], actor=current_token().actor_label)
    return report.as_dict()
