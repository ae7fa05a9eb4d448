"""Ownership: registrations with proof of purchase, transfers, stolen reports and disputes."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.ownership.views import bp  # imported when wiring: the pages import most areas

    app.register_blueprint(bp)
