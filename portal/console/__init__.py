"""The manufacturer console face: tenant overview, models, units, team, audit log, and the platform admin.

Areas add their staff pages to the console blueprint (portal.accounts.tenancy) in their own init_app;
this one registers it, so it comes after them in portal.AREAS."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported when wiring: the pages import most areas; `authenticity` and `imports` add their pages.
    from portal.console import admin, authenticity, imports, nfc_tags, views  # noqa: F401

    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
