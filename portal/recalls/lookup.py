"""The public recall lookup's answers (GET /recalls/lookup), each made by one function for both ways it is
answered: the Flask view (recalls.views.lookup) and the lean path ahead of Flask (recalls/lookup_lean.py).
What a typed GTIN and serial answer, and with which status, is decided here only.
"""
from __future__ import annotations

from flask import current_app, render_template
from flask_babel import gettext as _

from portal.core.gs1 import GS1Error, canonical_gtin, canonical_serial
from portal.core.negotiation import best_type
from portal.core.reply import Reply, json_bytes
from portal.recalls.queries import public_unit
from portal.recalls.status import recall_status

TEMPLATE = "recalls/lookup.html"
#: What the view's answers get from Flask besides their body (web.security_headers, i18n.vary_on_language);
#: the lean path sends them, and in the view the same hooks leave them as they are.
HEADERS = (("Cache-Control", "no-cache"), ("Vary", "Accept-Language, Cookie"))


def asks_for_json(format_value: str | None, accept: str | None) -> bool:
    """Whether a lookup wants the JSON answer: `format=json`, or JSON as the best of its Accept header."""
    return format_value == "json" or best_type(accept) == "application/json"


def lookup_page(gtin: str, serial: str) -> tuple[str, int]:
    """The page and its status for what was typed (stripped): the form alone when nothing was, 422 for a
    malformed GTIN or serial, 404 for an unknown unit, else 200 with the unit's recall status. Called in a
    request context: the page's base template reads the request, the reader and the language."""
    if not gtin and not serial:
        return render_template(TEMPLATE, gtin="", serial=""), 200
    try:
        gtin14, serial = canonical_gtin(gtin), canonical_serial(serial)
    except GS1Error as err:
        return render_template(TEMPLATE, gtin=gtin, serial=serial, error=str(err)), 422
    unit = public_unit(gtin14, serial)
    if unit is None:
        return render_template(TEMPLATE, gtin=gtin, serial=serial,
                               error=_("No unit with GTIN %(gtin)s and serial %(serial)s is known to Provenance.",
                                       gtin=gtin14, serial=serial)), 404
    return render_template(TEMPLATE, gtin=gtin14, serial=serial, unit=unit, status=recall_status(unit)), 200


def lookup_json(gtin: str, serial: str) -> Reply:
    """The JSON answer for what was typed (stripped): the unit's recall status (recalls.status.recall_status),
    a 404 for an unknown unit, a 422 problem for a malformed GTIN or serial. Needs an app context only."""
    try:
        gtin14, serial = canonical_gtin(gtin), canonical_serial(serial)
    except GS1Error as err:
        return _json(422, {"type": "https://provenance.example/problems/invalid", "title": "Invalid GTIN or serial",
                           "detail": str(err), "status": 422, "field": err.field}, problem=True)
    unit = public_unit(gtin14, serial)
    if unit is None:
        return _json(404, {"type": "https://provenance.example/problems/not-found", "title": "Unknown unit",
                           "detail": f"No unit with GTIN {gtin14} and serial {serial} is known.", "status": 404})
    return _json(200, recall_status(unit))


def _json(status: int, payload: dict, *, problem: bool = False) -> Reply:
    # The 404 goes with jsonify's type and the 422 as problem+json, as the view sent them before lean answers.
    content_type = "application/problem+json" if problem else current_app.json.mimetype
    return Reply(status, json_bytes(payload), (("Content-Type", content_type), *HEADERS))
