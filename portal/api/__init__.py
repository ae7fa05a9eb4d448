"""The integration API at /api/v1: flask-smorest builds the OpenAPI 3.1 document at /api/v1/openapi.json
from the same marshmallow schemas that validate requests, and serves a reference page at /api/v1/docs
(Swagger UI, vendored under static/vendor/swagger-ui/ and started from static/js/api-reference.js, so the
page keeps the portal's strict CSP: no inline script, nothing from another host)."""
from __future__ import annotations

import http

from flask import Blueprint, Flask, render_template, url_for
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from portal.extensions import csrf, limiter

DESCRIPTION = """\
The integration API of Provenance for retailers' tills, service partners and manufacturers' systems.

**Tokens.** A tenant admin issues tokens in the console under *API tokens*, choosing their scopes and
expiry. Send one as `Authorization: Bearer pvn_...`. A token sees only its own manufacturer's records:
anything else answers 404, exactly as if it did not exist.

**Errors** are `application/problem+json` (RFC 9457) with a stable `type` URI per kind of problem and,
where fields are at fault, an `errors` list naming them.

**Lists** are paged with an opaque `cursor`: follow the `next` link (also sent as a `Link` header) until
it is null.

**Idempotency.** Every POST accepts an `Idempotency-Key` header; a retry with the same key and body gets
the first answer again (marked `Idempotent-Replayed: true`) and the work is done once.

**Rate limits** are per token; beyond them the API answers 429 with `Retry-After`.
"""


reference = Blueprint("api_reference", __name__)


@reference.get("/api/v1/docs")
def reference_page():
    """The human-readable reference, rendered in the browser from /api/v1/openapi.json."""
    return render_template("api/reference.html", title="Provenance integration API",
                           spec_url=url_for("api-docs.openapi_json"))


#: The document's sections, in reading order (replacing the one tag flask-smorest makes per blueprint).
TAGS = [
    {"name": "Units", "description": "Read units, list them, create them in batches, record what is built into what."},
    {"name": "Coverage", "description": "Warranty coverage of a unit on a day, for service partners."},
    {"name": "Sales", "description": "The till records a sale and can invite the buyer to register the unit."},
    {"name": "Claims", "description": "Warranty claims for service partners: read them and move them on."},
    {"name": "Recalls", "description": "Recall status (public), campaigns, and remedies done in workshops."},
    {"name": "EPCIS", "description": "Capture EPCIS 2.0 events from manufacturing and logistics systems."},
    {"name": "Imports", "description": "Import units from a CSV file in the background and follow the job."},
    {"name": "Marketplace", "description": "Marketplaces and dealers verify ownership proofs and subscribe to their status (docs/resale.md)."},
    {"name": "Service history", "description": "Service partners record services, repairs and parts replaced."},
    {"name": "Digital Links", "description": "The links your products' GS1 Digital Links lead to (docs/resolver.md)."},
]


class ProvenanceApi(Api):
    """flask-smorest's Api, with problem documents for errors and the portal's own error handling."""

    DEFAULT_ERROR_RESPONSE_NAME = None  # every operation lists its refusals explicitly

    def _register_error_handlers(self):
        """The API blueprint handles its errors (portal.api.problems); the pages keep their own."""

    def _register_responses(self):
        # The schemas import the areas' models: loaded when the API is wired, not when the package is.
        from portal.api.schemas import ProblemSchema

        for status in http.HTTPStatus:
            if status >= 400:
                response = {"description": status.phrase, "schema": ProblemSchema}
                prepare_response(response, self.spec, "application/problem+json")
                self.spec.components.response(status.name, response, lazy=True)


def api_settings() -> dict:
    return {
        "API_TITLE": "Provenance integration API",
        "API_VERSION": "1.0",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        #: Per token (per address for the public endpoint); Flask-Limiter syntax.
        "API_RATELIMIT": "600 per minute",
        #: Largest API request body, in bytes.
        "API_MAX_BODY_BYTES": 2 * 1024 * 1024,
        #: Largest EPCIS document and largest CSV sent to the import endpoint, in bytes.
        "API_MAX_EPCIS_BYTES": 8 * 1024 * 1024,
        "API_MAX_IMPORT_BYTES": 64 * 1024 * 1024,
    }


def init_app(app: Flask) -> ProvenanceApi:
    """Mount /api/v1 on `app`: routes, OpenAPI document, reference page, error handling, limits."""
    # Imported when wiring: the routes of these modules join the API blueprint, and `console`'s token pages the
    # console blueprint.
    from portal.api import (  # noqa: F401
        blueprint,
        claims,
        console,
        epcis,
        idempotency,
        imports,
        marketplace,
        problems,
        recalls,
        returns,
        servicing,
        tags,
        units,
    )

    bp = blueprint.bp
    for key, value in api_settings().items():
        app.config.setdefault(key, value)
    app.url_map.converters.setdefault("gtin", blueprint.GtinConverter)
    app.url_map.converters.setdefault("serial", blueprint.SerialConverter)
    api = ProvenanceApi(spec_kwargs={"info": {"description": DESCRIPTION}, "tags": TAGS})
    api.register_converter(blueprint.GtinConverter, blueprint.gtin_param_schema)
    api.register_converter(blueprint.SerialConverter, blueprint.serial_param_schema)
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "A token issued in the console (pvn_...). Each operation names the scope it needs."})
    api.spec.components.security_scheme("marketplaceAuth", {
        "type": "http", "scheme": "bearer",
        "description": "A marketplace token (pvm_...) a platform admin issued: not a manufacturer's token."})
    api.spec.components.parameter("IdempotencyKey", "header", {k: v for k, v in idempotency.PARAMETER.items()
                                                                if k not in ("in", "name")})
    if not getattr(bp, "_portal_limited", False):  # the limiter and the blueprint outlive one app (tests)
        limiter.limit(blueprint.rate_limit, key_func=blueprint.rate_limit_key)(bp)
        bp._portal_limited = True
    csrf.exempt(bp)
    problems.install_routing_handlers(app)
    api.register_blueprint(bp)
    app.register_blueprint(reference)
    app.extensions["portal-api"] = api
    return api
