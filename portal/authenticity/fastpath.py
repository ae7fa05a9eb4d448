"""The verdict as JSON for scanner apps and integrations, answered ahead of Flask's request machinery.

Scans are the portal's busiest traffic, and most of a plain Flask request's cost here is plumbing a
verdict does not need: the cookie session, sign-in loading, CSRF, form parsing. A request takes this
path only when it is a GET of a Digital Link path (/01/...), asks for JSON, and carries no cookie (so no
session, no signed-in owner and no language choice can be in play). Everything else, and any request
that fails here unexpectedly, goes to the Flask view.

The answer is the view's: both call services.answer_code in the reader's language, record the scan in
the same transaction, count against the same public rate limit, and send the same security headers,
request id, access log line and latency metric. tests/authenticity/test_fastpath.py holds them equal.
"""
from __future__ import annotations

import logging
import time
import uuid
from functools import lru_cache

from flask import Flask
from flask_babel import force_locale
from limits import parse_many
from werkzeug.datastructures import LanguageAccept, MIMEAccept
from werkzeug.http import parse_accept_header

from portal.authenticity import services
from portal.core.i18n import LANGUAGES
from portal.extensions import db, limiter
from portal.ops.logs import REQUEST_ID_RE, access_log
from portal.ops.metrics import REQUEST_SECONDS
from portal.web import security_header_items

ENDPOINT = "authenticity.verdict"  # the Flask view's name: shared rate-limit bucket, metric and log label
log = logging.getLogger(__name__)


def wants_fast_path(environ: dict) -> bool:
    if environ.get("REQUEST_METHOD") != "GET" or not environ.get("PATH_INFO", "").startswith("/01/"):
        return False
    if environ.get("HTTP_COOKIE"):
        return False
    if "format=json" in environ.get("QUERY_STRING", "").split("&"):
        return True
    accept = parse_accept_header(environ.get("HTTP_ACCEPT"), MIMEAccept)
    return accept.best_match(["text/html", "application/json"]) == "application/json"


class VerdictFastPath:
    """WSGI middleware in front of the Flask app (inside ProxyFix, so the client address is the real one)."""

    def __init__(self, app: Flask, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.headers = security_header_items(app)

    def __call__(self, environ, start_response):
        if not (self.app.config["VERDICT_FAST_PATH"] and wants_fast_path(environ)):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        given = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = given if REQUEST_ID_RE.fullmatch(given) else uuid.uuid4().hex
        address = environ.get("REMOTE_ADDR") or ""
        try:
            status, body, content_type, extra = self._answer(environ, address)
        except Exception:  # the full application answers instead, with its error pages
            log.exception("verdict fast path failed; handing the request to the application")
            return self.wsgi_app(environ, start_response)
        payload = self.app.json.dumps(body).encode()  # what the view's jsonify writes
        headers = [("Content-Type", content_type), ("Content-Length", str(len(payload))),
                   # a verdict is one scan's answer (never reused); a refusal is as public as the view's
                   ("Cache-Control", "no-store" if content_type == "application/json" else "no-cache"),
                   ("Vary", "Accept-Language, Cookie"), ("X-Request-ID", request_id), *self.headers, *extra]
        start_response(f"{status} {_REASONS.get(status, 'Unknown')}", headers)
        elapsed = time.perf_counter() - started
        REQUEST_SECONDS.labels(endpoint=ENDPOINT, method="GET", status=f"{status // 100}xx").observe(elapsed)
        if self.app.config.get("LOG_REQUESTS"):
            path = environ.get("PATH_INFO", "")
            access_log.info("GET %s %s", path, status, extra={
                "request_id": request_id, "method": "GET", "path": path, "status": status,
                "duration_ms": round(elapsed * 1000, 2), "endpoint": ENDPOINT})
        return [payload]

    def _answer(self, environ: dict, address: str) -> tuple[int, dict, str, list[tuple[str, str]]]:
        with self.app.app_context():  # its teardown ends the database session, rolling back on failure
            retry_after = self._over_limit(address)
            if retry_after is not None:
                return 429, {"type": "about:blank", "title": "Too many requests", "status": 429,
                             "detail": "Too many checks from this address. Try again in a minute."}, \
                    "application/problem+json", [("Retry-After", str(retry_after))]
            language = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
            raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or _uri(environ)
            with force_locale(language.best_match(LANGUAGES) or "en"):
                answer = services.answer_code(raw, client_address=address, user_agent=environ.get("HTTP_USER_AGENT", ""))
                db.session.commit()  # first: the scan's write lock (SQLite) is held only this long
                body = answer.as_json()  # translated while the reader's language is in force
        return answer.status, body, "application/json" if answer.verdict else "application/problem+json", []

    def _over_limit(self, address: str) -> int | None:
        """Seconds to wait when the view's public limit is spent, counted in the view's own buckets
        (Flask-Limiter's key layout: prefix, client address, endpoint)."""
        if not limiter.enabled or not address:
            return None
        args = ([limiter._key_prefix] if limiter._key_prefix else []) + [address, ENDPOINT]  # its bucket names
        for item in _parsed(self.app.config["RATELIMIT_PUBLIC"]):
            if not limiter.limiter.hit(item, *args):
                reset_at, _remaining = limiter.limiter.get_window_stats(item, *args)
                return max(1, int(reset_at - time.time()) + 1)
        return None


@lru_cache(maxsize=8)
def _parsed(limits: str):
    return parse_many(limits)


def _uri(environ: dict) -> str:
    query = environ.get("QUERY_STRING", "")
    return environ.get("PATH_INFO", "") + (f"?{query}" if query else "")


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 422: "Unprocessable Entity", 429: "Too Many Requests"}


def install(app: Flask) -> None:
    """Put the fast path in front of the app; with VERDICT_FAST_PATH off it passes every request on."""
    app.wsgi_app = VerdictFastPath(app, app.wsgi_app)
