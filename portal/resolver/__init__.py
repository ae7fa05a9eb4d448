"""The resolver: every GS1 Digital Link the portal serves, answered as a GS1-Conformant Resolver (docs/resolver.md)."""
from __future__ import annotations

from flask import Flask

#: Settings of the resolver (docs/configuration.md), with their defaults.
SETTINGS = {
    "RESOLVER_NAME": "Provenance",  # the description file's name
    "RESOLVER_CONTACT": "Provenance",  # the description file's contact
    #: Path prefixes (such as "/acme") under which Digital Links are answered too, e.g. for a tenant's own
    #: stem printed on its labels: https://<portal>/acme/01/<gtin>/21/<serial>.
    "RESOLVER_PATH_PREFIXES": (),
}


def init_app(app: Flask) -> None:
    from portal.authenticity.fastpath import add_lean_route
    from portal.resolver import api, console  # noqa: F401  (their routes join the API and console blueprints)
    from portal.resolver.lean import route_for
    from portal.resolver.views import (  # imported when wiring: the pages import most areas
        CompressedConverter,
        bp,
        checked_prefixes,
        resolve_code,
    )

    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    prefixes = checked_prefixes(app.config["RESOLVER_PATH_PREFIXES"])
    app.url_map.converters["compressed"] = CompressedConverter
    app.register_blueprint(bp)
    for prefix in prefixes:  # the same view, under each stem
        app.add_url_rule(f"{prefix}/01/<path:rest>", endpoint="resolver.resolve_code", view_func=resolve_code,
                         methods=["GET", "OPTIONS"], provide_automatic_options=False)
    add_lean_route(app, route_for(prefixes))  # redirects, linksets and JSON verdicts ahead of Flask
