"""Accounts: sign-up and sign-in, second factors, sessions, staff memberships and the console's tenancy."""
from __future__ import annotations

from flask import Flask, g
from flask_babel import lazy_gettext as _l

from portal.core.signals import account_erasing
from portal.extensions import login_manager


def init_app(app: Flask) -> None:
    # Imported when wiring, not at the top: every area's models import this package, and the pages import most
    # areas. security_views adds its pages to the accounts blueprint; erasure answers an account's erasure.
    from portal.accounts import erasure, guard, queries, security_views, views  # noqa: F401

    account_erasing.connect(erasure.erase, weak=False)

    app.register_blueprint(views.bp)
    login_manager.login_view = "accounts.signin"
    login_manager.login_message = _l("Sign in to continue.")
    login_manager.localize_callback = str  # flashed in the reader's language; the session stores plain text
    login_manager.login_message_category = "info"
    # No "strong" protection (it ended a session whenever the address or browser string changed: Wi-Fi to
    # mobile data). Server-side session rows, key rotation and revocation protect it (docs/security.md).
    login_manager.session_protection = None
    login_manager.user_loader(guard.load_user)
    app.before_request(guard.touch_current_session)
    app.after_request(guard.set_device_cookie)

    @app.context_processor
    def navigation():
        return {"staff_memberships": queries.staff_memberships(), "current_tenant": g.get("tenant")}
