"""Pages anyone may open: the home page, the typed product lookup, product pictures, the language switch."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.public.views import bp  # imported when wiring: the pages import most areas

    app.register_blueprint(bp)
