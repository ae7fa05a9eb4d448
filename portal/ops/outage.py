"""A database outage answers 503 with Retry-After instead of a stack trace.

Nothing is held across the outage: the pool's pre-ping (on for servers) throws away dead connections at
checkout, so the first request after the database returns is served normally, without a restart.
"""
from __future__ import annotations

import json
import logging

from flask import Flask, current_app, g
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from portal.core.http import server_error_page
from portal.core.i18n import current_language
from portal.core.negotiation import wants_json
from portal.extensions import db, login_manager

log = logging.getLogger(__name__)
PROBLEM_TYPE = "https://provenance.example/problems/service-unavailable"


def is_outage(err: BaseException) -> bool:
    """Connection-level database failures: the server is down, unreachable, restarting or out of slots."""
    if isinstance(err, (OperationalError, InterfaceError)):
        return True
    if isinstance(err, DBAPIError) and err.connection_invalidated:
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(err, (psycopg.OperationalError, psycopg.InterfaceError))


def outage_problem(retry: int) -> dict:
    """The problem+json body of a 503 while the database is down (the verdict fast path sends it too)."""
    return {"type": PROBLEM_TYPE, "title": "Service unavailable", "status": 503,
            "detail": f"The database cannot be reached right now. Retry in {retry} seconds."}


def outage_response(err: BaseException):
    """503 + Retry-After; JSON for the API and JSON clients, a plain page otherwise. Touches no database."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001, S110 - the connection is already gone; nothing to undo
        pass
    # After-request hooks ask who is signed in; answering "nobody" keeps them off the dead database.
    g._login_user = login_manager.anonymous_user()
    log.warning("database unavailable (%s); answering 503", type(getattr(err, "orig", None) or err).__name__)
    retry = int(current_app.config.get("OUTAGE_RETRY_AFTER") or 30)
    headers = {"Retry-After": str(retry), "Cache-Control": "no-store"}
    if wants_json():  # the API, ?format=json and JSON clients (core.negotiation)
        return current_app.response_class(json.dumps(outage_problem(retry)), status=503, headers=headers,
                                          mimetype="application/problem+json")
    # Rendered straight from the environment: context processors would query the database again. The language
    # comes from the cookie or Accept-Language (the signed-in user is "nobody" now, so nothing is loaded).
    page = current_app.jinja_env.get_template("ops/unavailable.html").render(retry_after=retry,
                                                                               current_language=current_language())
    return current_app.response_class(page, status=503, headers=headers, mimetype="text/html")


def init_outage_handling(app: Flask) -> None:
    for exc in (OperationalError, InterfaceError, DBAPIError):
        app.register_error_handler(exc, _handle)


def _handle(err: Exception):
    if is_outage(err):
        return outage_response(err)

    return server_error_page("unhandled database error")
