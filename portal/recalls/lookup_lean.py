"""The public recall lookup on the lean path (authenticity/fastpath.py), ahead of Flask: its page and its JSON;
the public area puts `wants` and `answer` there (recalls sits below authenticity and cannot import it).

A cookie-less GET of /recalls/lookup is answered here with the view's bytes and headers, made by the same
functions as the view's (recalls/lookup.py): as JSON when it asks for it (`format=json`, or JSON as the best
of its Accept header: what the view reads), the unit's recall status or the 404 and 422 problems; otherwise
the page (the form alone, the 422 for a malformed GTIN or serial, the 404 for an unknown unit, the 200 with
the recall status), in the reader's language.

The page is rendered in a request context pushed for the request's environ (the template reads the request,
its endpoint and path, the reader, `url_for`, the flashed messages and the context processors), without
Flask's dispatch around it. What that dispatch would add to a cookie-less GET changes nothing in the answer:
its before-request hooks only check (the CSRF check and the JSON-body guard pass a GET without a body, and
there is no signed-in session to touch), the rate limit and the request id are the fast path's, and of the
after-request hooks only the security headers, `Cache-Control: no-cache` and `Vary: Accept-Language, Cookie`
touch such an answer (lookup.HEADERS, and the fast path's; the session is empty and unchanged, so it sets no
cookie). Leaving the context runs the teardown hooks: the limiter's context reset, and the latency metric,
which skips a request whose clock it did not start (the fast path observes it).
authenticity/fastpath_contract.py lists every hook. A request with a cookie, one over its rate limit, one
whose query is not UTF-8 and one that meets a database error (the view answers its outage page) go to the
view. tests/recalls/test_lookup_lean.py holds the two answers equal byte for byte.
"""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import current_app, g, request
from flask.ctx import RequestContext
from sqlalchemy.exc import DBAPIError
from werkzeug.datastructures import MultiDict

from portal.core.reply import Reply
from portal.recalls.lookup import HEADERS, asks_for_json, lookup_json, lookup_page

PATH = "/recalls/lookup"
ENDPOINT = "recalls.lookup"  # the view's name: its rate-limit buckets, metric and log label
PAGE_TYPE = "text/html; charset=utf-8"  # Flask's for a page


def _args(environ: dict) -> MultiDict | None:
    """The query as Flask's request.args reads it (None when it is not UTF-8: the view answers that)."""
    try:
        query = environ.get("QUERY_STRING", "").encode("latin1").decode()
    except UnicodeError:
        return None
    return MultiDict(parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote"))


def wants(environ: dict) -> bool:
    return (environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO") == PATH
            and not environ.get("HTTP_COOKIE") and _args(environ) is not None)


def answer(environ: dict, language: str) -> Reply | None:
    """The view's answer (in an app context, the reader's language forced), or None for the view to answer.
    It writes nothing: its reads run on the lean connection without a transaction (core/lean_work.py), which
    on PostgreSQL spares the BEGIN and COMMIT round trips (docs/performance.md); each statement reads its own
    snapshot, as two requests would."""
    args = _args(environ)
    if asks_for_json(args.get("format"), environ.get("HTTP_ACCEPT")):
        return lookup_json(args.get("gtin", "").strip(), args.get("serial", "").strip())
    app = current_app._get_current_object()
    try:
        # The session a cookie-less request opens (SecureCookieSessionInterface.open_session: no cookie, a new
        # empty one), given instead of building the cookie's signing serializer first to find none.
        with RequestContext(app, environ, session=app.session_interface.session_class()):
            # The reader Flask-Login would load: no session and no remember cookie (no cookie at all), and the
            # portal has no request or header loader, so the anonymous user, set as the API does (api/blueprint.py).
            g._login_user = app.login_manager.anonymous_user()
            body, status = lookup_page(request.args.get("gtin", "").strip(), request.args.get("serial", "").strip())
    except DBAPIError:
        return None  # the view answers it as a page (in an outage its 503 page, not the fast path's JSON)
    return Reply(status, body.encode(), (("Content-Type", PAGE_TYPE), *HEADERS))
