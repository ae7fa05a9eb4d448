"""The verdict as JSON for scanner apps and integrations, answered ahead of Flask's request machinery.

Scans are the portal's busiest traffic, and most of a plain Flask request's cost here is plumbing a
verdict does not need: the cookie session, sign-in loading, CSRF, form parsing. A request takes this
path only when it is a GET of a Digital Link path (/01/...), asks for JSON, and carries no cookie (so no
session, no signed-in owner and no language choice can be in play). Everything else goes to the Flask
view, and so does a request over its rate limit (the view answers the 429) or one that fails here before
its scan is written (here each statement commits as it runs: core/lean_work.py).

The answer is the view's: both call services.answer_code in the reader's language, record the same scan,
spend the same rate-limit buckets, and send the same body, security headers,
rate-limit headers, request id, access log line and latency metric. A database outage answers the same
503 as the application. tests/authenticity/test_fastpath.py holds the two paths equal.

Other areas add lean routes of their own (`add_lean_route`, before `install`): the resolver's Digital Link
paths (resolver/) answer their redirects, linksets and JSON verdicts here, through the same use case as
their view, which returns a core.reply.Reply that both send unchanged.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl

from flask import Flask, g
from limits import parse_many
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from portal.authenticity import services
from portal.authenticity.views import JSON_CORS, asks_for_json
from portal.core import lean_work
from portal.core.http import security_header_items
from portal.core.i18n import LANGUAGES, speaking
from portal.core.negotiation import best_language
from portal.core.reply import Reply, json_bytes, raw_uri
from portal.extensions import db, limiter
from portal.ops.logs import REQUEST_ID_RE, access_log
from portal.ops.metrics import REQUEST_SECONDS
from portal.ops.outage import is_outage, outage_problem

ENDPOINT = "authenticity.verdict"  # the Flask view's name: shared rate-limit bucket, metric and log label
PREFIX = "/verdict/01/"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeanRoute:
    """A route answered here when `wants(environ)`; `answer(environ, language)` runs in an app context, on the
    lean connection in autocommit (core/lean_work.answering), and returns the view's Reply, or None to let the
    view answer (it must have written nothing then)."""
    endpoint: str  # the Flask view's name: shared rate-limit bucket, metric and log label
    wants: Callable[[dict], bool]
    answer: Callable[[dict, str], Reply | None]
    methods: tuple[str, ...] = ("GET",)


def add_lean_route(app: Flask, route: LeanRoute) -> None:
    app.extensions.setdefault("lean_routes", []).append(route)


def wants_fast_path(environ: dict) -> bool:
    """A cookie-less GET of a verdict (the shape the view's route takes) that asks for JSON."""
    path = environ.get("PATH_INFO", "")
    if environ.get("REQUEST_METHOD") != "GET" or not path.startswith(PREFIX) or len(path) == len(PREFIX) \
            or "//" in path:
        return False  # '/verdict/01/' is no route, and '//' is redirected by the view
    if environ.get("HTTP_COOKIE"):
        return False
    query = environ.get("QUERY_STRING", "")
    first_format = next((v for k, v in parse_qsl(query, keep_blank_values=True) if k == "format"), None) \
        if "format=" in query else None
    return asks_for_json(first_format, environ.get("HTTP_ACCEPT"))


def verdict_answer(environ: dict, language: str) -> Reply:
    """The verdict view's JSON answer (called in an app context with the reader's language forced)."""
    answer = services.answer_code(raw_uri(environ), client_address=environ.get("REMOTE_ADDR") or "",
                                  user_agent=environ.get("HTTP_USER_AGENT", ""))
    lean_work.commit(db.session)  # the scan committed as it was written; anything the session still holds
    payload = json_bytes(answer.as_json())  # the bytes the view's jsonify writes
    content_type = "application/json" if answer.verdict else "application/problem+json"
    # a verdict is one scan's answer (never reused); a refusal is as public as the view's
    return Reply(answer.status, payload, (("Content-Type", content_type),
                                          ("Cache-Control", "no-store" if answer.verdict else "no-cache"),
                                          ("Vary", "Accept-Language, Cookie"), *JSON_CORS))


VERDICT = LeanRoute(ENDPOINT, wants_fast_path, verdict_answer)


class VerdictFastPath:
    """WSGI middleware in front of the Flask app (inside ProxyFix, so the client address is the real one)."""

    def __init__(self, app: Flask, wsgi_app, routes: list[LeanRoute] | None = None):
        self.app, self.wsgi_app = app, wsgi_app
        self.routes = [VERDICT, *(routes or [])]
        self._hosts: dict[tuple, bool] = {}

    def __call__(self, environ, start_response):
        route = next((r for r in self.routes if r.wants(environ)), None) if self.app.config["VERDICT_FAST_PATH"] \
            else None
        if route is None or self._host_refused(environ):  # the view answers a refused Host its 400
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        method = environ.get("REQUEST_METHOD", "GET")
        given = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = given if REQUEST_ID_RE.fullmatch(given) else uuid.uuid4().hex
        committed: list[bool] = []  # once the scan is committed, the request must never run a second time
        try:
            answered = self._answer(route, environ, request_id, committed)
        except Exception as err:  # noqa: BLE001 - every way out is answered below, none is a bare 500 page
            answered = self._after_failure(err, committed)
        if answered is None:  # over the limit, or failed before its commit: the view answers, under the same id
            environ["HTTP_X_REQUEST_ID"] = request_id
            return self.wsgi_app(environ, start_response)
        reply, extra = answered
        status = reply.status
        headers = [*reply.headers, ("Content-Length", str(len(reply.body))), ("X-Request-ID", request_id),
                   *security_header_items(self.app), *extra]
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown')}", headers)
        elapsed = time.perf_counter() - started
        REQUEST_SECONDS.labels(endpoint=route.endpoint, method=method, status=f"{status // 100}xx").observe(elapsed)
        if self.app.config.get("LOG_REQUESTS"):
            path = environ.get("PATH_INFO", "")
            access_log.info("%s %s %s", method, path, status, extra={
                "request_id": request_id, "method": method, "path": path, "status": status,
                "duration_ms": round(elapsed * 1000, 2), "endpoint": route.endpoint})
        return [b""] if method == "HEAD" else [reply.body]

    def _answer(self, route: LeanRoute, environ: dict, request_id: str, committed: list[bool]):
        with self.app.app_context():  # its teardown ends the database session, rolling back on failure
            g.request_id = request_id  # log lines written meanwhile carry it
            limit_headers = self._spend_limit(environ.get("REMOTE_ADDR") or "127.0.0.1", route.endpoint)
            if limit_headers is None:
                return None
            language = str(best_language(environ.get("HTTP_ACCEPT_LANGUAGE"), LANGUAGES) or "en")
            with speaking(language):  # translated in the reader's language
                try:
                    reply = self._on_held_connection(route, environ, language, committed)
                except DBAPIError as err:
                    if not err.connection_invalidated or committed:
                        raise
                    # The connection held since the last answer was broken (a server restart): once more on a
                    # fresh one, which the pool pings first.
                    log.warning("held database connection broken (%s); answering on a fresh one",
                                type(err.orig or err).__name__)
                    reply = self._on_held_connection(route, environ, language, committed)
        return None if reply is None else (reply, limit_headers)

    @staticmethod
    def _on_held_connection(route: LeanRoute, environ: dict, language: str, committed: list[bool]) -> Reply | None:
        with lean_work.answering(db.engine):  # one connection in autocommit, no session (core/lean_work.py)
            try:
                reply = route.answer(environ, language)
                if reply is not None:
                    lean_work.commit(db.session)
            finally:
                if lean_work.committed():  # from here on the request must never run a second time
                    committed.append(True)
        return reply

    def _host_refused(self, environ: dict) -> bool:
        """Whether Flask would refuse the request's host (TRUSTED_HOSTS, or a name Werkzeug cannot encode, such
        as `a..b`) and answer 400 before any view; remembered per host, server and scheme."""
        key = (environ.get("HTTP_HOST"), environ.get("SERVER_NAME"), environ.get("SERVER_PORT"),
               environ.get("wsgi.url_scheme"))
        refused = self._hosts.get(key)
        if refused is None:
            try:
                self.app.create_url_adapter(self.app.request_class(environ))
                refused = False
            except HTTPException:
                refused = True
            if len(self._hosts) >= 256:
                self._hosts.clear()
            self._hosts[key] = refused
        return refused

    def _after_failure(self, err: Exception, committed: list[bool]):
        if isinstance(err, DBAPIError) and is_outage(err):
            log.warning("database unavailable (%s); answering 503", type(err.orig or err).__name__)
            retry = int(self.app.config.get("OUTAGE_RETRY_AFTER") or 30)
            return Reply(503, self.app.json.dumps(outage_problem(retry)).encode(),
                         (("Content-Type", "application/problem+json"), ("Cache-Control", "no-cache"))), \
                [("Retry-After", str(retry))]
        log.exception("verdict fast path failed")
        if not committed:
            return None  # nothing was kept: the view answers it afresh
        problem = {"type": "about:blank", "title": "Internal Server Error", "status": 500,
                   "detail": "The scan was recorded, but its answer could not be written. Scan again."}
        return Reply(500, self.app.json.dumps(problem).encode(),
                     (("Content-Type", "application/problem+json"), ("Cache-Control", "no-cache"))), []

    def _spend_limit(self, address: str, endpoint: str) -> list[tuple[str, str]] | None:
        """Spend one request of the view's public limit in its own buckets (Flask-Limiter's key layout:
        prefix, client address, endpoint; limits in its order). None when a limit is spent: the view then
        refuses the request itself. Otherwise the rate-limit headers the view would send."""
        if not limiter.enabled:
            return []
        args = ([limiter._key_prefix] if limiter._key_prefix else []) + [address, endpoint]  # its bucket names
        items = _parsed(self.app.config["RATELIMIT_PUBLIC"])
        if not all(limiter.limiter.test(item, *args) for item in items):
            return None
        for item in items:
            limiter.limiter.hit(item, *args)
        if not self.app.config.get("RATELIMIT_HEADERS_ENABLED"):
            return []
        reset_at, remaining = limiter.limiter.get_window_stats(items[0], *args)
        reset_at = int(reset_at + 1)
        return [("X-RateLimit-Limit", str(items[0].amount)), ("X-RateLimit-Remaining", str(remaining)),
                ("X-RateLimit-Reset", str(reset_at)), ("Retry-After", str(int(reset_at - time.time())))]


@lru_cache(maxsize=8)
def _parsed(limits: str) -> list:
    return sorted(parse_many(limits))


def install(app: Flask) -> None:
    """Put the fast path in front of the app; with VERDICT_FAST_PATH off it passes every request on."""
    app.wsgi_app = VerdictFastPath(app, app.wsgi_app, app.extensions.get("lean_routes", []))
