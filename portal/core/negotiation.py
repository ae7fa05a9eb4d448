"""Which format an answer should take when the view itself did not choose (errors, 429, 503)."""
from __future__ import annotations

from flask import request

JSON_TYPES = ("application/json", "application/problem+json")


def wants_json() -> bool:
    """JSON for the API and EPCIS paths, for `?format=json` (the public lookups' switch, often used without
    an Accept header) and for clients whose Accept header prefers JSON; a page otherwise."""
    return (request.path.startswith(("/api/", "/epcis"))
            or request.args.get("format") == "json"
            or request.accept_mimetypes.best in JSON_TYPES)
