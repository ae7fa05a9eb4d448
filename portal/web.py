"""HTTP plumbing shared by every page: template helpers, security headers, error pages (the areas wire their
own pages: docs/architecture.md)."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

from flask import Flask, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.core.http import error_page, is_private, security_header_items, server_error_page
from portal.core.routing import RecordIdConverter


def init_app(app: Flask) -> None:
    """What every page shares: the template helpers, headers, mail sent after the request and error pages."""
    app.url_map.converters["int"] = RecordIdConverter  # before any area adds a rule with a record id
    app.jinja_env.filters["from_json"] = json.loads

    @app.context_processor
    def page_context():
        # When the page was made: a copy the service worker keeps offline says how old it is.
        return {"today": date.today(), "rendered_at": datetime.now(UTC).isoformat(timespec="seconds")}

    @app.after_request
    def security_headers(response):
        for name, value in security_header_items(app):
            response.headers.setdefault(name, value)
        if request.endpoint and request.endpoint != "static" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store" if is_private() else "no-cache"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return error_page(400, _("This form has expired"), _("Reload the page and send the form again.")), 400

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        titles = {
            400: (_("Something in the request was not right"), _("Check what you entered and try again.")),
            403: (_("Not for your role"), _("Your account may not do this. Ask a tenant admin if you need it.")),
            404: (_("Not found"), _("There is nothing at this address, or it is not yours to see.")),
            405: (_("Not possible here"), _("This page does not accept that kind of request.")),
            413: (_("That file is too large"),
                  _("Upload a smaller file: photos and receipts up to %(photos)d MB, CSV imports up to %(csv)d MB.",
                    photos=app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024),
                    csv=(app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024))),
            429: (_("Slow down a little"), _("Too many attempts in a short time. Wait a minute and try again.")),
        }
        title, text = titles.get(err.code or 500, (err.name, err.description or ""))
        return error_page(err.code or 500, title, text), err.code or 500

    @app.errorhandler(Exception)
    def server_error(err: Exception):
        return server_error_page("unhandled error")
