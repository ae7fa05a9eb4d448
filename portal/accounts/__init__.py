"""Accounts: sign-up and sign-in, second factors, sessions, staff memberships and the console's tenancy."""
from __future__ import annotations

from flask import Flask, g
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    # Imported when wiring, not at the top: every area's models import this package.
    from portal.accounts import security_views  # noqa: F401  (its pages join the accounts blueprint)
    from portal.accounts.guard import load_user, touch_current_session
    from portal.accounts.queries import staff_memberships
    from portal.accounts.views import bp
    from portal.extensions import login_manager

    app.register_blueprint(bp)
    login_manager.login_view = "accounts.signin"
    login_manager.login_message = _l("Sign in to continue.")
    login_manager.localize_callback = str  # flashed in the reader's language; the session stores plain text
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)
    app.before_request(touch_current_session)

    @app.context_processor
    def navigation():
        return {"staff_memberships": staff_memberships(), "current_tenant": g.get("tenant")}
