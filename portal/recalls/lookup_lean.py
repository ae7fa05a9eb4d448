"""The public recall lookup's JSON answers on the lean path (authenticity/fastpath.py), ahead of Flask; the
public area puts `wants` and `answer` there (recalls sits below authenticity and cannot import it).

A cookie-less GET of /recalls/lookup that asks for JSON (`format=json`, or JSON as the best of its Accept
header: what the view reads) is answered here with the view's bytes and headers: the unit's recall status
(recalls.status.recall_status), or the view's 404 and 422 problems. The view (recalls.views.lookup) answers
everything else: the HTML page (each carries a CSRF token for its language form, so a session cookie), a
request with a cookie, one over its rate limit. It spends the same rate-limit buckets and sends the same
security headers, request id and log line (the fast path's). tests/recalls/test_lookup_lean.py holds the two
answers equal byte for byte.
"""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import current_app
from werkzeug.datastructures import MIMEAccept, MultiDict
from werkzeug.http import parse_accept_header

from portal.core.gs1 import GS1Error, canonical_gtin, canonical_serial
from portal.core.reply import Reply, json_bytes
from portal.recalls.queries import public_unit
from portal.recalls.status import recall_status

PATH = "/recalls/lookup"
ENDPOINT = "recalls.lookup"  # the view's name: its rate-limit buckets, metric and log label
#: What the view's answers get from Flask besides their body (web.security_headers, i18n.vary_on_language).
_HEADERS = (("Cache-Control", "no-cache"), ("Vary", "Accept-Language, Cookie"))


def _args(environ: dict) -> MultiDict | None:
    """The query as Flask's request.args reads it (None when it is not UTF-8: the view answers that)."""
    try:
        query = environ.get("QUERY_STRING", "").encode("latin1").decode()
    except UnicodeError:
        return None
    return MultiDict(parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote"))


def wants(environ: dict) -> bool:
    if (environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") != PATH
            or environ.get("HTTP_COOKIE")):
        return False
    args = _args(environ)
    return args is not None and (args.get("format") == "json" or parse_accept_header(
        environ.get("HTTP_ACCEPT"), MIMEAccept).best == "application/json")


def answer(environ: dict, language: str) -> Reply:
    """The view's JSON answer (in an app context, the reader's language forced). It writes nothing, so the
    public area registers it with `writes=False`: its reads run without a transaction, which on PostgreSQL
    spares the BEGIN and COMMIT round trips (docs/performance.md); each statement reads its own snapshot, as
    two requests would."""
    args = _args(environ)
    gtin, serial = args.get("gtin", "").strip(), args.get("serial", "").strip()
    try:
        gtin14, serial = canonical_gtin(gtin), canonical_serial(serial)
    except GS1Error as err:
        return _reply(422, {"type": "https://provenance.example/problems/invalid", "title": "Invalid GTIN or serial",
                            "detail": str(err), "status": 422, "field": err.field}, problem=True)
    unit = public_unit(gtin14, serial)
    if unit is None:
        return _reply(404, {"type": "https://provenance.example/problems/not-found", "title": "Unknown unit",
                            "detail": f"No unit with GTIN {gtin14} and serial {serial} is known.", "status": 404})
    return _reply(200, recall_status(unit))


def _reply(status: int, payload: dict, *, problem: bool = False) -> Reply:
    # The view sends its 404 with jsonify's type and its 422 as problem+json: the same here.
    content_type = "application/problem+json" if problem else current_app.json.mimetype
    return Reply(status, json_bytes(payload), (("Content-Type", content_type), *_HEADERS))

