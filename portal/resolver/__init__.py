"""The resolver: every GS1 Digital Link the portal serves, answered as a GS1-Conformant Resolver (docs/resolver.md)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.authenticity.fastpath import add_lean_route
    from portal.resolver import api, console  # noqa: F401  (their routes join the API and console blueprints)
    from portal.resolver.lean import ROUTE
    from portal.resolver.views import (  # imported when wiring: the pages import most areas
        CompressedConverter,
        bp,
    )

    app.url_map.converters["compressed"] = CompressedConverter
    app.register_blueprint(bp)
    add_lean_route(app, ROUTE)  # redirects, linksets and JSON verdicts ahead of Flask (docs/performance.md)
