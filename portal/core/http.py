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
