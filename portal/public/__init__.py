"""Pages anyone may open: the home page, the typed product lookup, product pictures, the language switch."""
from __future__ import annotations

from flask import Flask

from portal.authenticity.fastpath import LeanRoute, add_lean_route
from portal.recalls import lookup_lean


def init_app(app: Flask) -> None:
    from portal.public.views import bp  # imported when wiring: the pages import most areas

    app.register_blueprint(bp)
    # The public recall lookup's answers (JSON and page) ahead of Flask, as the verdict's (recalls/lookup_lean.py).
    add_lean_route(app, LeanRoute(lookup_lean.ENDPOINT, lookup_lean.wants, lookup_lean.answer))
