"""Every API error is an `application/problem+json` document (RFC 9457) with a stable `type`.

`errors` names the fields at fault: where (`json`, `query`, `path`, `header`), which (`units.2.gtin`)
and what is wrong. Domain errors keep the status and type their class declares.
"""
from __future__ import annotations

import json
from http import HTTPStatus

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException

from portal.core.errors import DomainError
from portal.extensions import db
from portal.ops.outage import is_outage, outage_response

PROBLEMS = "https://provenance.example/problems/"
API_PREFIX = "/api/"

#: The `type` of each kind of problem the API itself raises (domain errors bring their own).
TYPES = {
    "malformed-json": PROBLEMS + "malformed-json",
    "bad-request": PROBLEMS + "bad-request",
    "validation": PROBLEMS + "validation",
    "unauthorized": PROBLEMS + "unauthorized",
    "insufficient-scope": PROBLEMS + "insufficient-scope",
    "not-found": PROBLEMS + "not-found",
    "method-not-allowed": PROBLEMS + "method-not-allowed",
    "payload-too-large": PROBLEMS + "payload-too-large",
    "unsupported-media-type": PROBLEMS + "unsupported-media-type",
    "rate-limited": PROBLEMS + "rate-limited",
    "idempotency-key-reused": PROBLEMS + "idempotency-key-reused",
    "idempotency-key-invalid": PROBLEMS + "idempotency-key-invalid",
    "idempotency-key-in-use": PROBLEMS + "idempotency-key-in-use",
    "server-error": PROBLEMS + "server-error",
}


class MalformedJson(DomainError):
    """A body that should be JSON and is not (EPCIS capture reads its body itself)."""
    status = 400
    type = TYPES["malformed-json"]


class UnsupportedMediaType(DomainError):
    status = 415
    type = TYPES["unsupported-media-type"]
    location = "header"


def problem(status: int, type_: str, detail: str = "", *, errors: list[dict] | None = None, title: str | None = None,
            headers: dict | None = None):
    body = {"type": type_, "title": title or HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_messages(messages, location: str = "json", path: tuple = ()) -> list[dict]:
    """webargs/marshmallow's nested {"json": {"units": {0: {"gtin": ["..."]}}}} as a flat list."""
    found = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            step = () if key == "_schema" else (str(key),)
            found.extend(flatten_messages(value, location, path + step))
    elif isinstance(messages, (list, tuple)) and all(isinstance(m, str) for m in messages):
        for message in messages:
            found.append({"location": location, "field": ".".join(path), "detail": message})
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            found.extend(flatten_messages(item, location, path))
    else:
        found.append({"location": location, "field": ".".join(path), "detail": str(messages)})
    return found


def from_domain_error(err: DomainError):
    errors = getattr(err, "errors", None)
    if errors is None and err.field:
        errors = [{"location": getattr(err, "location", "json"), "field": err.field, "detail": str(err)}]
    headers = {}
    if err.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="provenance"'
    elif getattr(err, "scope", None):
        headers["WWW-Authenticate"] = f'Bearer realm="provenance", error="insufficient_scope", scope="{err.scope}"'
    return problem(err.status, err.type, str(err), errors=errors, headers=headers)


def from_http_exception(err: HTTPException):
    code = err.code or 500
    data = getattr(err, "data", None) or {}
    messages = data.get("messages")
    if code == 400 and messages and "json" in messages:
        return problem(400, TYPES["malformed-json"], "The request body is not valid JSON.",
                       errors=flatten_messages(messages))
    if code == 422 and messages:
        errors = []
        for location, found in messages.items():
            errors.extend(flatten_messages(found, location if location != "querystring" else "query"))
        return problem(422, TYPES["validation"], "Some fields are missing or not valid; see errors.", errors=errors)
    kinds = {400: "bad-request", 401: "unauthorized", 403: "insufficient-scope", 404: "not-found",
             405: "method-not-allowed", 413: "payload-too-large", 415: "unsupported-media-type", 429: "rate-limited"}
    details = {
        404: "There is nothing at this address, or it is not yours to see.",
        405: "This address does not accept that method.",
        413: "The request body is too large.",
        429: "Too many requests for this token in a short time; wait and retry.",
    }
    headers = {}
    if code == 405 and getattr(err, "valid_methods", None):
        headers["Allow"] = ", ".join(err.valid_methods)
    if code == 429 and getattr(err, "retry_after", None):
        headers["Retry-After"] = str(err.retry_after)
    detail = details.get(code) or (err.description if code in kinds else "")
    type_ = TYPES[kinds[code]] if code in kinds else "about:blank"
    if code >= 500:
        type_, detail = TYPES["server-error"], "Something went wrong on our side. Try again in a moment."
    return problem(code, type_, detail, headers=headers)


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def install_blueprint_handlers(bp) -> None:
    """Problems for every error raised while the API blueprint handles a request (once, at import)."""

    @bp.errorhandler(DomainError)
    def domain_error(err: DomainError):
        db.session.rollback()
        return from_domain_error(err)

    @bp.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        db.session.rollback()
        return from_http_exception(err)

    @bp.errorhandler(Exception)
    def unexpected(err: Exception):
        if is_outage(err):  # this handler outranks the app's, so the database outage is answered here too
            return outage_response(err)
        current_app.logger.exception("unhandled error in the API")
        db.session.rollback()
        return problem(500, TYPES["server-error"], "Something went wrong on our side. Try again in a moment.")


def install_routing_handlers(app: Flask) -> None:
    """Problems for routing errors under /api/ (404, 405).

    Routing errors happen before a blueprint is chosen, so they reach the application's handlers; these
    two status-specific ones answer problems under /api/ and hand everything else to the application's
    own error page.
    """

    def routing_error(err: HTTPException):
        if is_api_request():
            db.session.rollback()
            return from_http_exception(err)
        fallback = app.error_handler_spec[None][None].get(HTTPException)
        return fallback(err) if fallback else err

    app.register_error_handler(404, routing_error)
    app.register_error_handler(405, routing_error)
