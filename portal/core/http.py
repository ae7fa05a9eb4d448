"""What every answer shares, whichever path made it: the security headers and the error page (the pages'
error handlers in portal.web, the outage handler in portal.ops and the lean verdict path all use these)."""
from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.extensions import db
from portal.core.negotiation import wants_json

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def security_header_items(app: Flask) -> list[tuple[str, str]]:
    """The headers every answer carries; the verdict fast path (authenticity.fastpath) sends the same."""
    items = [("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
             ("X-Frame-Options", "DENY"), ("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")]
    if app.config.get("HSTS"):
        items.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return items


def server_error_page(what: str):
    """A 500 after logging `what` with its traceback; the transaction is rolled back first."""
    current_app.logger.exception(what)
    db.session.rollback()
    return error_page(500, _("Something went wrong on our side"), _("Try again in a moment.")), 500


def is_private() -> bool:
    return bool(current_user and current_user.is_authenticated)


def error_page(code: int, title: str, text: str):
    if wants_json():  # ?format=json too: a lookup's 429 stays JSON (core.negotiation)
        return jsonify({"type": "about:blank", "title": title, "detail": text, "status": code})
    return render_template("error.html", code=code, title=title, text=text)


class EscapedQuery:
    """WSGI middleware: a query string that carries raw bytes beyond ASCII (a client that did not
    percent-encode them; the server hands them on as Latin-1 characters) goes on with those bytes
    percent-encoded, as a browser would have sent them. Werkzeug reads percent-encoded bytes leniently (a
    sequence that is not UTF-8 becomes U+FFFD, which each page then refuses as it refuses any malformed
    value), but decodes a raw query strictly, and every page, its error page too, would fail on it. A raw
    query that is UTF-8 keeps its meaning: its bytes decode as before."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING", "")
        if not query.isascii():
            environ["QUERY_STRING"] = "".join(
                char if char.isascii() else "".join(f"%{byte:02X}" for byte in _bytes_of(char)) for char in query)
        return self.wsgi_app(environ, start_response)


def _bytes_of(char: str) -> bytes:
    # PEP 3333 gives the query as Latin-1 characters, one per byte; anything beyond is text, sent as UTF-8.
    return char.encode("latin-1") if ord(char) < 256 else char.encode()
