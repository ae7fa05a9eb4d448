"""Which format an answer should take when the view itself did not choose (errors, 429, 503), and the
Accept and Accept-Language headers read once per process: the public answers read them at every request,
and clients send a handful of distinct values (a scanner app, each browser), so each value's outcome is
remembered (at most 256 of each; an unusual header is parsed again when it comes back)."""
from __future__ import annotations

from functools import lru_cache

from flask import request
from werkzeug.datastructures import LanguageAccept, MIMEAccept
from werkzeug.http import parse_accept_header

JSON_TYPES = ("application/json", "application/problem+json")


def wants_json() -> bool:
    """JSON for the API and EPCIS paths, for `?format=json` (the public lookups' switch, often used without
    an Accept header) and for clients whose Accept header prefers JSON; a page otherwise."""
    return (request.path.startswith(("/api/", "/epcis"))
            or request.args.get("format") == "json"
            or request.accept_mimetypes.best in JSON_TYPES)


@lru_cache(maxsize=256)
def best_offer(accept: str | None, offers: tuple[str, ...]) -> str | None:
    """Which of `offers` the Accept header prefers (Werkzeug's best_match)."""
    return parse_accept_header(accept, MIMEAccept).best_match(offers)


@lru_cache(maxsize=256)
def best_type(accept: str | None) -> str | None:
    """The media type the Accept header ranks first (Werkzeug's `best`)."""
    return parse_accept_header(accept, MIMEAccept).best


@lru_cache(maxsize=256)
def best_language(accept_language: str | None, languages: tuple[str, ...]) -> str | None:
    """Which of `languages` the Accept-Language header prefers (Werkzeug's best_match)."""
    return parse_accept_header(accept_language, LanguageAccept).best_match(languages)
