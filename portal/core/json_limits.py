"""Limits on a JSON body, checked on its raw text before any parser sees it.

Python's parser recurses once per nested array or object, so a body of a few thousand `[` ends in a
RecursionError; and it turns every run of digits into an int, which Python refuses past 4,300 digits
(ValueError). Neither is a syntax error, so the parsers' own error handling misses both and the answer
would be a 500. No document the portal accepts nests deeper than MAX_DEPTH or needs a number of more
than MAX_DIGITS digits; a body beyond either is answered 400 with a problem document that says which.
"""
from __future__ import annotations

import json
import re

from flask import Response, current_app, request

MAX_DEPTH = 64
MAX_DIGITS = 100
MALFORMED_JSON = "https://provenance.example/problems/malformed-json"
#: Blueprints that set their own body limit before reading a body (the application-wide hook would read first).
OWN_BODY_LIMITS = frozenset({"api", "epcis"})

#: A whole string (so brackets and digits inside text are skipped), a bracket, or a too-long digit run.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]|[0-9]{%d,}' % (MAX_DIGITS + 1))
_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")


def json_limit_problem(raw: bytes) -> str | None:
    """Why `raw` is beyond the limits, or None when a parser can take it safely (valid or not)."""
    encoding = json.detect_encoding(raw)  # json.loads also reads UTF-16 and UTF-32: scan what it would read
    if encoding != "utf-8":
        raw = raw.decode(encoding, errors="replace").encode()
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH and not re.search(rb"[0-9]{%d}" % (MAX_DIGITS + 1), raw):
        return None  # the common case, at C speed: too few brackets to nest deeply, no long digit run
    depth = 0
    for match in _TOKENS.finditer(raw):
        first = match.group()[0]
        if first in _OPEN:
            depth += 1
            if depth > MAX_DEPTH:
                return f"The JSON nests arrays and objects more than {MAX_DEPTH} levels deep."
        elif first in _CLOSE:
            depth = max(depth - 1, 0)
        elif first != ord('"'):
            return f"The JSON has a number of more than {MAX_DIGITS} digits."
    return None


def refuse_hostile_json(*, api: bool = False) -> Response | None:
    """A `before_request` hook: a JSON body beyond the limits gets 400 problem+json before any view parses it.

    The API's blueprint calls it with `api=True` once it has set the endpoint's body limit, so the body is
    read within that limit; the application-wide hook leaves /api/ paths to it, and /epcis too, whose
    capture sets its own limit and parses its body itself, answering both failures as malformed JSON.
    """
    if not request.is_json or (not api and request.blueprint in OWN_BODY_LIMITS):
        return None
    why = json_limit_problem(request.get_data(cache=True))
    if why is None:
        return None
    body = {"type": MALFORMED_JSON, "title": "Bad Request", "status": 400, "detail": why}
    return current_app.response_class(json.dumps(body), status=400, mimetype="application/problem+json")
