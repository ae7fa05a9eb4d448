"""An owner's own data: download everything the portal holds about them, delete the account, retention."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.privacy.cli import register as register_cli  # imported when wiring: it imports every area
    from portal.privacy.views import bp

    app.register_blueprint(bp)
    register_cli(app)
