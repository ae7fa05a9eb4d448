"""Which language a reader gets: their choice (a cookie set by the switcher), else their browser's."""
from __future__ import annotations

from flask import has_request_context, request

LANGUAGES = ("en", "fr", "de")
LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    """Flask-Babel's locale selector; outside a request (the mail worker) English is the fallback."""
    if not has_request_context():
        return "en"
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"
