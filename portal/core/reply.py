"""An answer built once and sent unchanged by a Flask view or by the lean WSGI path in front of Flask.

The hottest public answers (the verdict JSON, the resolver's redirects and linksets) are made by a use
case that returns a Reply; the view turns it into a Response and the lean path writes it straight to
WSGI, so the two cannot drift apart (authenticity/fastpath.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    #: Content-Type, Cache-Control, Location, Link, CORS...: everything but the headers every answer gets.
    headers: tuple[tuple[str, str], ...] = field(default=())

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)


@dataclass(frozen=True)
class Problem:
    """An error the caller renders for a person (an HTML page), with the headers the answer must carry."""
    status: int
    title: str
    detail: str
    headers: tuple[tuple[str, str], ...] = field(default=())


def raw_uri(environ: dict) -> str:
    """The path and query as sent (gunicorn's RAW_URI, else REQUEST_URI, else rebuilt), read alike by a view
    and by the lean path. A raw URI without the query the server reports (a test client's redirect) gets it."""
    query = environ.get("QUERY_STRING", "")
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw:
        return environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
    return raw if "?" in raw or not query else f"{raw}?{query}"


def json_bytes(obj) -> bytes:
    """The bytes Flask's jsonify writes for `obj` (compact unless debugging, then a newline), without building
    a Response: the hot JSON answers use it, so a view's jsonify and the lean path still send the same bytes."""
    provider = current_app.json
    pretty = provider.compact is False or (provider.compact is None and current_app.debug)
    dumped = provider.dumps(obj, indent=2) if pretty else provider.dumps(obj, separators=(",", ":"))
    return f"{dumped}\n".encode()
