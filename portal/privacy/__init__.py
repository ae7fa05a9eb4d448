"""An owner's own data: download everything the portal holds about them, delete the account, retention."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.privacy import cli, views  # imported when wiring: they import every area

    app.register_blueprint(views.bp)
    cli.register(app)
