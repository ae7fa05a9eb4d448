"""What every /epcis request shares: bearer tokens (the API's own checks), the GS1 headers, media types
and problem documents with the binding's `epcisException:` types."""
from __future__ import annotations

import json
from http import HTTPStatus

from flask import current_app, g, request

from portal.api.blueprint import bearer
from portal.api.blueprint import rate_limit as api_rate_limit
from portal.api.blueprint import rate_limit_key as api_rate_limit_key
from portal.api.models import Scope
from portal.api.tokens import InsufficientScope, authenticate, touch
from portal.core.errors import DomainError
from portal.extensions import db

EPCIS_VERSION = "2.0.0"
CBV_VERSION = "2.0.0"
JSON_TYPES = ("application/json", "application/ld+json")
XML_TYPES = ("application/xml", "text/xml")

#: The binding's exception type per HTTP status, for problems that bring no type of their own.
TYPES = {400: "epcisException:ValidationException", 401: "epcisException:SecurityException",
         403: "epcisException:SecurityException", 404: "epcisException:NoSuchResourceException",
         406: "epcisException:NotAcceptableException", 409: "epcisException:ValidationException",
         413: "epcisException:CaptureLimitExceededException", 415: "epcisException:UnsupportedMediaTypeException",
         422: "epcisException:ValidationException", 429: "epcisException:ImplementationException"}


class BindingError(DomainError):
    """A refusal of the binding itself (media type, versions, limits), with its status and type."""

    def __init__(self, message: str, status: int, *, field: str | None = None):
        super().__init__(message, field=field)
        self.status, self.type = status, TYPES.get(status, "epcisException:ImplementationException")


def rate_limit() -> str:
    return api_rate_limit()


def rate_limit_key() -> str:
    return api_rate_limit_key()


def authorise(scope: Scope):
    """The tenant of the bearer token, which must hold `scope` (the same tokens and checks as /api/v1)."""
    token = authenticate(bearer())
    if not token.allows(scope):
        raise InsufficientScope(str(scope))
    g.api_token = token
    if touch(token):
        db.session.commit()
    return token.manufacturer, token.actor_label


def check_versions() -> None:
    """GS1-EPCIS-Version / GS1-CBV-Version (and the -Min/-Max a client may send) must allow 2.0."""
    for name, ours in (("GS1-EPCIS-Version", EPCIS_VERSION), ("GS1-CBV-Version", CBV_VERSION)):
        given = request.headers.get(name)
        if given and not given.strip().startswith("2.0"):
            raise BindingError(f"{name} {given[:20]!r} is not served here: this repository speaks {ours}.", 406,
                               field=name)
    for name in ("GS1-EPCIS-Max", "GS1-CBV-Max"):
        given = request.headers.get(name, "").strip()
        if given and _version(given) < (2, 0):
            raise BindingError(f"{name} {given[:20]!r} excludes 2.0.0, the only version served here.", 406,
                               field=name)
    for name in ("GS1-EPCIS-Min", "GS1-CBV-Min"):
        given = request.headers.get(name, "").strip()
        if given and _version(given) > (2, 0, 9999):
            raise BindingError(f"{name} {given[:20]!r} excludes 2.0.0, the only version served here.", 406,
                               field=name)


def _version(text: str) -> tuple:
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        raise BindingError(f"{text[:20]!r} is not a version like 2.0.0.", 400) from None


def check_media_type() -> None:
    """JSON-LD or JSON; the XML binding is refused with 415 (docs/epcis.md)."""
    mimetype = request.mimetype
    if mimetype in XML_TYPES:
        raise BindingError("The XML binding of EPCIS is not accepted here; send the document as JSON-LD "
                           "('Content-Type: application/ld+json') or JSON ('application/json').", 415,
                           field="Content-Type")
    if mimetype not in JSON_TYPES:
        raise BindingError("Send the document as 'Content-Type: application/ld+json' or 'application/json'.", 415,
                           field="Content-Type")


def gs1_headers(response, *, capture: bool = False):
    response.headers["GS1-EPCIS-Version"] = EPCIS_VERSION
    response.headers["GS1-CBV-Version"] = CBV_VERSION
    if capture:
        response.headers["GS1-EPCIS-Capture-Limit"] = str(current_app.config["EPCIS_CAPTURE_LIMIT"])
        response.headers["GS1-EPCIS-Capture-File-Size-Limit"] = str(current_app.config["API_MAX_EPCIS_BYTES"])
        response.headers["GS1-Capture-Error-Behaviour"] = "rollback, proceed"
    return response


def problem_response(err: DomainError):
    status = getattr(err, "status", 400)
    kind = err.type if str(err.type).startswith("epcisException:") else TYPES.get(status, err.type)
    body = {"type": kind, "title": HTTPStatus(status).phrase, "status": status, "detail": str(err)}
    if getattr(err, "field", None):
        body["field"] = err.field
    response = current_app.response_class(json.dumps(body), status=status, mimetype="application/problem+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="epcis"'
    return gs1_headers(response)


def json_response(document, status: int = 200, *, ld: bool = False):
    response = current_app.response_class(json.dumps(document, ensure_ascii=False), status=status,
                                          mimetype="application/ld+json" if ld else "application/json")
    return gs1_headers(response)
