"""Structured logs: one JSON object per line, each carrying the request id, so a request can be followed
from nginx through the portal to the database. Nothing from bodies, query strings, headers or cookies is
logged, and e-mail addresses and bearer tokens are masked in messages, so no secret or personal data leaks.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_app_context, has_request_context, request
from flask.logging import default_handler
from sqlalchemy import inspect as sa_inspect

#: A caller's X-Request-ID is kept only when it is this tame (nginx's $request_id and UUIDs are).
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_BEARER = re.compile(r"(?i)(bearer\s+|token[=:]\s*|password[=:]\s*)\S+")
_REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "endpoint")

PROBES = {"ops.healthz", "ops.readyz", "metrics.metrics"}

access_log = logging.getLogger("portal.access")


def scrub(text: str) -> str:
    """Mask what must never reach a log: e-mail addresses, bearer tokens, passwords written as key=value."""
    return _BEARER.sub(lambda m: m.group(1) + "[redacted]", _EMAIL.sub("[email]", text))


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id (+ method, path, status, duration_ms, tenant when known)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if has_request_context():
            entry.update(request_fields())
        elif has_app_context() and g.get("request_id"):  # the verdict fast path
            entry["request_id"] = g.request_id
        for name in _REQUEST_FIELDS + ("tenant", "request_id"):
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The plain format `make run` keeps, with the request id when there is one."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        # The request's id; the verdict fast path has only an application context, and keeps its id in g too.
        known = g.get("request_id") if has_app_context() else None
        record.request_id = known or getattr(record, "request_id", None) or "-"
        return scrub(super().format(record))


def request_fields() -> dict:
    fields = {"request_id": g.get("request_id"), "method": request.method, "path": request.path}
    tenant = current_tenant_slug()
    if tenant:
        fields["tenant"] = tenant
    return fields


def current_tenant_slug() -> str | None:
    """The tenant of this request without touching the database (an expired ORM object would query)."""
    tenant = g.get("tenant")
    if tenant is not None:
        try:
            slug = sa_inspect(tenant).dict.get("slug")
        except Exception:  # noqa: BLE001 - not an ORM object
            slug = getattr(tenant, "slug", None)
        if slug:
            return slug
    args = request.view_args or {}
    return args.get("tenant") if isinstance(args.get("tenant"), str) else None


def configure_logging(app: Flask) -> None:
    """LOG_FORMAT json|text: one handler on the root logger, so the portal's and libraries' records agree."""
    fmt = str(app.config.get("LOG_FORMAT") or "text").lower()
    if fmt not in ("json", "text"):
        raise RuntimeError(f"LOG_FORMAT must be 'json' or 'text', not {fmt!r}")
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_portal", False)), None)
    if handler is None and not app.testing:
        handler = logging.StreamHandler(sys.stderr)
        handler._portal = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    if handler is not None:
        handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
        root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    # Flask's own handler would print every app.logger record a second time, unformatted.

    app.logger.removeHandler(default_handler)
    app.logger.propagate = True


def init_request_ids(app: Flask) -> None:
    def _start():
        g.request_started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID_RE.fullmatch(given) else uuid.uuid4().hex

    # First of all before-request hooks: a later one may fail (the database is down), and its log line and
    # error response should still carry the id.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)

    @app.after_request
    def _finish(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
        # Passing probes are left out: a load balancer polling every few seconds would drown the rest.
        quiet = request.endpoint == "static" or (request.endpoint in PROBES and response.status_code < 400)
        if app.config.get("LOG_REQUESTS") and not quiet:
            started = g.get("request_started")
            duration = round((time.perf_counter() - started) * 1000, 2) if started else None
            access_log.info("%s %s %s", request.method, request.path, response.status_code,
                            extra={**request_fields(), "status": response.status_code, "duration_ms": duration,
                                   "endpoint": request.endpoint})
        return response
