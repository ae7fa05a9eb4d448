"""Authenticity: signing keys, signed labels and label sheets, verdicts, NFC taps, clone alerts."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.authenticity.views import bp  # imported when wiring: the pages import most areas

    app.register_blueprint(bp)
