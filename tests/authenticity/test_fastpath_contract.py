"""The lean path stands in for Flask's request machinery: a hook or error handler added to the application
must be declared in portal/authenticity/fastpath_contract.py, saying how lean answers deal with it."""
from __future__ import annotations

from portal.authenticity import fastpath_contract as contract


def _name(func) -> str:
    func = getattr(func, "func", func)  # functools.partial
    return f"{func.__module__}.{func.__qualname__}"


def test_every_request_hook_of_the_application_is_declared_for_the_lean_path(app):
    hooks = {
        "before_request": ({_name(f) for f in app.before_request_funcs.get(None, [])}, contract.BEFORE_REQUEST),
        "after_request": ({_name(f) for f in app.after_request_funcs.get(None, [])}, contract.AFTER_REQUEST),
        "teardown_request": ({_name(f) for f in app.teardown_request_funcs.get(None, [])},
                             contract.TEARDOWN_REQUEST),
    }
    for kind, (actual, declared) in hooks.items():
        assert actual == set(declared), (
            f"{kind} hooks changed: new {sorted(actual - set(declared))}, gone {sorted(set(declared) - actual)}; "
            "say in portal/authenticity/fastpath_contract.py how lean answers deal with them")


def test_every_error_handler_of_the_application_is_declared_for_the_lean_path(app):
    handled = {getattr(exc, "__name__", str(exc)) for by_code in app.error_handler_spec[None].values()
               for exc in by_code}
    assert handled == set(contract.ERROR_HANDLERS), (
        f"new {sorted(handled - set(contract.ERROR_HANDLERS))}, gone {sorted(set(contract.ERROR_HANDLERS) - handled)}")


def test_the_lean_path_is_installed_in_front_of_the_application(app):
    from portal.authenticity.fastpath import VerdictFastPath

    wsgi = app.wsgi_app
    while not isinstance(wsgi, VerdictFastPath):  # ProxyFix and core/http.EscapedQuery wrap it
        wsgi = getattr(wsgi, "app", None) or getattr(wsgi, "wsgi_app", None)
        assert wsgi is not None, "the lean path is not in the WSGI stack"
    assert app.extensions.get("lean_routes"), "no lean route is registered"
