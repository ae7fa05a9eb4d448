"""The resolver on the lean path: cookie-less GET and HEAD of /01/... answered ahead of Flask.

`answer` calls the view's use case (resolve.resolve) and hands back its Reply unchanged; a Problem (an
error page for a person) is left to the Flask view, which renders it (tests/resolver/test_lean_path.py).
"""
from __future__ import annotations

from portal.authenticity.fastpath import LeanRoute
from portal.core.reply import Reply, raw_uri
from portal.resolver.resolve import Ask, resolve
from portal.resolver.views import root_of

ENDPOINT = "resolver.resolve_code"


def wants_under(starts: tuple[str, ...]):
    """Cookie-less GET and HEAD of a Digital Link path under one of `starts` ("/01/", "/acme/01/", ...)."""
    def wants(environ: dict) -> bool:
        path = environ.get("PATH_INFO", "")
        return (environ.get("REQUEST_METHOD") in ("GET", "HEAD") and path.startswith(starts)
                and not path.endswith("/01/") and "//" not in path and not environ.get("HTTP_COOKIE"))
    return wants


def answer(environ: dict, language: str) -> Reply | None:
    ask = Ask(raw_uri(environ), root_of(environ), environ.get("HTTP_ACCEPT"), language,
              environ.get("REMOTE_ADDR") or "", environ.get("HTTP_USER_AGENT", ""))
    answered = resolve(ask)
    return answered if isinstance(answered, Reply) else None


def route_for(prefixes: tuple[str, ...] = ()) -> LeanRoute:
    return LeanRoute(ENDPOINT, wants_under(("/01/", *(f"{p}/01/" for p in prefixes))), answer, methods=("GET", "HEAD"))
