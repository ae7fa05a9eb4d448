"""The /api/v1 blueprint and what every endpoint shares: bearer auth with scopes, the one commit of a
POST (with its Idempotency-Key), path converters for GTIN and serial, JSON-only bodies, cursors.

Requests here never read the session cookie: the signed-in browser user is not an API caller.
"""
from __future__ import annotations

import base64
import binascii
from functools import wraps
from http import HTTPStatus

import marshmallow as ma
from flask import abort, current_app, g, request, url_for
from flask_smorest import Blueprint as SmorestBlueprint
from sqlalchemy.sql import Select
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.routing import BaseConverter

from portal.api import idempotency
from portal.api.models import ApiToken, Scope
from portal.api.problems import install_blueprint_handlers
from portal.api.tokens import InsufficientScope, authenticate, find_token, touch
from portal.core.json_limits import refuse_hostile_json
from portal.extensions import db

GTIN_REGEX = r"[0-9]{8}|[0-9]{12,14}"
#: GS1 CSET 82 without "/", which cannot travel inside one path segment.
SERIAL_REGEX = r"[!\"%&'()*+,\-.0-9:;<=>?A-Z_a-z]{1,20}"
MAX_PAGE = 200
#: Endpoints whose bodies may be larger than API_MAX_BODY_BYTES: the setting that limits each.
BODY_LIMITS = {"api.create_import": "API_MAX_IMPORT_BYTES", "api.capture_epcis": "API_MAX_EPCIS_BYTES"}


class JsonBodyParser(FlaskParser):
    """Bodies are JSON: another content type with a body is refused with 415, not read as empty."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            if req.get_data(cache=True):
                abort(415, description="Send the body as JSON with 'Content-Type: application/json'.")
            return webargs_core.missing
        return webargs_core.parse_json(req.get_data(cache=True))


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = JsonBodyParser()


bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Provenance integration API")
install_blueprint_handlers(bp)


class GtinConverter(BaseConverter):
    regex = GTIN_REGEX


class SerialConverter(BaseConverter):
    regex = SERIAL_REGEX


def gtin_param_schema(_converter) -> dict:
    return {"type": "string", "pattern": f"^(?:{GTIN_REGEX})$",
            "description": "GTIN-8, -12, -13 or -14 with its check digit."}


def serial_param_schema(_converter) -> dict:
    return {"type": "string", "pattern": f"^{SERIAL_REGEX}$",
            "description": "Serial number (AI 21): 1 to 20 GS1 CSET 82 characters, percent-encoded."}


# --- Authentication --------------------------------------------------------------------------------

def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def rate_limit_key() -> str:
    """Flask-Limiter's key: the token's id for a genuine token, else the caller's address."""
    if "api_rate_token" not in g:
        raw = bearer()
        g.api_rate_token = find_token(raw) if raw else None
    token = g.api_rate_token
    return f"api-token:{token.id}" if token is not None else f"api-address:{request.remote_addr}"


def rate_limit() -> str:
    return current_app.config.get("API_RATELIMIT", "600 per minute")


def current_token() -> ApiToken:
    return g.api_token


def _problem_refs(codes) -> dict:
    return {code: HTTPStatus(code).name for code in sorted(codes)}


def operation(scope: Scope | None, *, errors=(), body: bool = False):
    """Authenticate with `scope` (None: public), document the refusals, and for a POST (`body`):
    honour Idempotency-Key and commit once.

    `errors` lists the statuses of domain refusals the endpoint may answer besides the common ones.
    """
    codes = set(errors) | {404, 429}
    if scope is not None:
        codes |= {401, 403}
    if body:
        codes |= {400, 409, 413, 415, 422}

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if scope is not None:
                token = authenticate(bearer())
                if not token.allows(scope):
                    raise InsufficientScope(str(scope))
                g.api_token, g.tenant = token, token.manufacturer
                if touch(token):
                    db.session.commit()
            if not body:
                return view(*args, **kwargs)
            return idempotency.run(g.api_token if scope is not None else None, view, args, kwargs)

        doc: dict = {"responses": _problem_refs(codes),
                     "security": [{"bearerAuth": [str(scope)]}] if scope is not None else []}
        if body:
            doc["parameters"] = ["IdempotencyKey"]
        return Blueprint.doc(**doc)(wrapper)

    return decorate


@bp.before_request
def _no_session_user():
    """API calls are anonymous to Flask-Login, so a browser's session cookie can never authorise one."""
    g._login_user = current_app.login_manager.anonymous_user()
    setting = BODY_LIMITS.get(request.endpoint or "", "API_MAX_BODY_BYTES")
    request.max_content_length = current_app.config.get(setting, 2 * 1024 * 1024)
    return refuse_hostile_json(api=True)  # read within this endpoint's body limit (docs/security.md)


@bp.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# --- Cursor pagination -----------------------------------------------------------------------------

def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


class Cursor(ma.fields.String):
    """An opaque cursor: where the previous page stopped. Clients pass back what `next` holds."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            mark, _, number = decoded.partition(":")
            if mark != "v1" or not number.isdigit() or len(number) > 18:
                raise ValueError
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ma.ValidationError("Not a cursor this API gave out; pass back the `next` link as it is.") from None
        return int(number)


class PageArgs(ma.Schema):
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_PAGE),
                              metadata={"description": f"Items per page, 1 to {MAX_PAGE}."})
    cursor = Cursor(metadata={"description": "Opaque cursor from the previous page's `next` link."})


def page(stmt: Select, id_column, args: dict) -> tuple[list, str | None]:
    """One page of `stmt` in id order after the cursor, and the absolute link to the next page."""
    limit = args["limit"]
    if args.get("cursor") is not None:
        stmt = stmt.where(id_column > args["cursor"])
    rows = list(db.session.scalars(stmt.order_by(id_column).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    query = {k: v for k, v in request.args.items() if k != "cursor"}
    query["cursor"] = encode_cursor(rows[-1].id)
    link = url_for(request.endpoint, **(request.view_args or {}), **query)
    return rows, current_app.config["BASE_URL"].rstrip("/") + link


def paged(items: list, next_link: str | None):
    headers = {"Link": f'<{next_link}>; rel="next"'} if next_link else {}
    return {"items": items, "next": next_link}, 200, headers
