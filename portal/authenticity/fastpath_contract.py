"""What the lean path (fastpath.py) does about each of the application's request hooks and error handlers.

The lean path answers ahead of Flask, so a hook added to the application does not run for lean answers.
tests/authenticity/test_fastpath_contract.py compares this table with the hooks the application really has:
adding, removing or renaming one fails it until its line here says how lean answers deal with it
(docs/architecture.md, "The lean path"). Each value is that answer.
"""
from __future__ import annotations

BEFORE_REQUEST = {
    "portal.ops.logs.init_request_ids.<locals>._start": "mirrored: the request id is read or made alike",
    "flask_wtf.csrf.CSRFProtect.init_app.<locals>.csrf_protect": "not needed: lean routes answer GET and HEAD",
    "flask_limiter._extension.Limiter._check_request_limit": "mirrored: the view's buckets are hit first",
    "portal.core.json_limits.refuse_hostile_json": "not needed: lean requests carry no body",
    "portal.accounts.guard.touch_current_session": "not needed: a request with a cookie takes the view",
}
AFTER_REQUEST = {
    "flask_login.login_manager.LoginManager._update_remember_cookie": "not needed: no cookie, no sign-in",
    "flask_limiter._extension.Limiter.__inject_headers": "mirrored: the same X-RateLimit headers",
    "portal.core.i18n.register_i18n.<locals>.vary_on_language": "mirrored: Vary: Accept-Language, Cookie",
    "portal.web.init_app.<locals>.security_headers": "mirrored: core.http.security_header_items, no-cache",
    "portal.notifications.init_app.<locals>.deliver_fresh_mail": "not needed: a verdict queues no mail",
    "portal.ops.logs.init_request_ids.<locals>._finish": "mirrored: X-Request-Id and the access log line",
    "portal.ops.metrics.init_request_timing.<locals>._status": "mirrored: the status label of the metric",
    "portal.ops.init_app.<locals>._no_cookies_on_probes": "not needed: probes are not lean routes",
    "portal.accounts.guard.set_device_cookie": "not needed: it sets a cookie only after a sign-in",
}
TEARDOWN_REQUEST = {
    "flask_limiter._extension.Limiter.__release_context": "not needed: the lean path holds no limiter context",
    "portal.ops.metrics.init_request_timing.<locals>._observe": "mirrored: the latency histogram",
}
ERROR_HANDLERS = {
    "CSRFError": "not needed: no form is posted",
    "HTTPException": "mirrored: the use case returns its problem (404, 410, 400) as the view's reply",
    "Exception": "left to the view: a failure before the answer falls back to Flask",
    "OperationalError": "mirrored: core outage answer (ops.outage.outage_problem)",
    "InterfaceError": "mirrored: core outage answer (ops.outage.outage_problem)",
    "DBAPIError": "mirrored: core outage answer (ops.outage.outage_problem)",
    "NotFound": "left to the view: an unknown path is no lean route",
    "MethodNotAllowed": "left to the view: other methods are no lean route",
}
