"""The EPCIS 2.0 REST binding at /epcis: capture jobs and event queries for partners' systems, with the
same bearer tokens as /api/v1, scoped to the token's tenant (docs/epcis.md). The events themselves live
in portal.catalog.epcis; this area is their face in the standard's protocol."""
from __future__ import annotations

from flask import Flask

from portal.extensions import csrf, limiter


def init_app(app: Flask) -> None:
    from portal.epcis import binding, views  # imported when wiring: the views import the API's token services

    bp = views.bp
    app.config.setdefault("EPCIS_CAPTURE_LIMIT", 10_000)
    app.config.setdefault("API_MAX_EPCIS_BYTES", 8 * 1024 * 1024)
    if not getattr(bp, "_portal_limited", False):  # the limiter and the blueprint outlive one app (tests)
        limiter.limit(binding.rate_limit, key_func=binding.rate_limit_key)(bp)
        bp._portal_limited = True
    csrf.exempt(bp)
    app.register_blueprint(bp)
