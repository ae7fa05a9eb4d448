"""Warranty: terms, coverage, extensions, claims and the claims desk, certificates and RMA documents."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported when wiring: the pages import most areas. The console modules add the claims desk and the
    # warranty terms to the console blueprint, which portal.console registers after every area.
    from portal.warranty import console, console_terms, views  # noqa: F401

    app.register_blueprint(views.bp)
