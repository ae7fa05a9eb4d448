"""HTTP plumbing shared by every page: blueprints, sign-in loading, error pages, security headers."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from portal.extensions import db, login_manager

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


def register_web(app: Flask) -> None:
    from portal.accounts.views import bp as accounts_bp
    from portal.accounts import security_views as _security_views  # noqa: F401  (adds its routes to accounts)
    from portal.authenticity.views import bp as authenticity_bp
    from portal.console.admin import bp as admin_bp
    from portal.console import authenticity as _console_authenticity  # noqa: F401  (adds its routes to the console)
    from portal.console import imports as _console_imports  # noqa: F401  (adds its routes to the console)
    from portal.recalls import console as _console_recalls  # noqa: F401  (adds its routes to the console)
    from portal.warranty import console as _console_warranty  # noqa: F401  (adds its routes to the console)
    from portal.warranty import console_terms as _console_terms  # noqa: F401  (adds its routes to the console)
    from portal.api import console as _console_api, register_api  # noqa: F401  (console routes; /api/v1)
    from portal.recalls import hooks as _recall_hooks  # noqa: F401  (late joiners)
    from portal.recalls import notices as _recall_notices  # noqa: F401  (renders recall e-mails)
    from portal.recalls.views import bp as recalls_bp
    from portal.warranty.views import bp as warranty_bp
    from portal.console.views import bp as console_bp
    from portal.ownership.views import bp as ownership_bp
    from portal.public.views import bp as public_bp
    from portal.privacy.views import bp as privacy_bp

    for bp in (public_bp, authenticity_bp, recalls_bp, warranty_bp, accounts_bp, ownership_bp, console_bp, admin_bp,
               privacy_bp):
        app.register_blueprint(bp)
    register_api(app)

    app.jinja_env.filters["from_json"] = json.loads
    login_manager.login_view = "accounts.signin"
    login_manager.login_message = _l("Sign in to continue.")
    login_manager.localize_callback = str  # flashed in the reader's language; the session stores plain text
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from portal.accounts.guard import load_user, touch_current_session

    login_manager.user_loader(load_user)
    app.before_request(touch_current_session)

    @app.context_processor
    def navigation():
        from flask_login import current_user

        from portal.accounts.models import StaffMembership

        tenants = []
        if current_user and current_user.is_authenticated:  # None when mail is rendered outside a request
            tenants = db.session.scalars(
                select(StaffMembership).where(StaffMembership.user_id == current_user.id)
            ).all()
        return {"staff_memberships": tenants, "current_tenant": g.get("tenant"), "today": date.today(),
                # When the page was made: a copy the service worker keeps offline says how old it is.
                "rendered_at": datetime.now(UTC).isoformat(timespec="seconds")}

    @app.after_request
    def security_headers(response):
        for name, value in security_header_items(app):
            response.headers.setdefault(name, value)
        if request.endpoint and request.endpoint != "static" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store" if _is_private() else "no-cache"
        return response

    @app.after_request
    def deliver_fresh_mail(response):
        ids = g.pop("outbox_ids", None)
        if ids and app.config.get("MAIL_DELIVER_AFTER_REQUEST") and response.status_code < 400:
            from portal.notifications.services import deliver_due

            try:
                deliver_due(limit=len(ids), only_ids=ids)
            except Exception:  # noqa: BLE001 - the worker retries whatever did not go out now
                db.session.rollback()
                app.logger.exception("immediate delivery failed; the worker will retry")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return _error_page(400, _("This form has expired"), _("Reload the page and send the form again.")), 400

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
        return _error_page(err.code or 500, title, text), err.code or 500

    @app.errorhandler(Exception)
    def server_error(err: Exception):
        return server_error_page("unhandled error")


def server_error_page(what: str):
    """A 500 after logging `what` with its traceback; the transaction is rolled back first."""
    current_app.logger.exception(what)
    db.session.rollback()
    return _error_page(500, _("Something went wrong on our side"), _("Try again in a moment.")), 500


def _is_private() -> bool:
    from flask_login import current_user

    return bool(current_user and current_user.is_authenticated)


def _error_page(code: int, title: str, text: str):
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify({"type": "about:blank", "title": title, "detail": text, "status": code})
    return render_template("error.html", code=code, title=title, text=text)
