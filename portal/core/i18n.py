"""Which language a reader gets, and dates and numbers written the way that language writes them.

The choice order: the `lang` cookie the switcher sets, then the signed-in user's stored choice (a new
device), then the browser's Accept-Language. Mail and PDFs made outside the reader's request render
inside `flask_babel.force_locale(user_locale(user))`.

`gettext` and `lazy_gettext` here are Flask-Babel's, and so are the templates' `_()` and `ngettext()`,
but for an answer given inside `speaking(language)` (the lean path: one language already chosen) they read
that language's catalog directly instead of finding it again through Flask-Babel's context at every
message. A `force_locale` inside it (mail in its recipient's language) is honoured: the catalog is used only
while Flask-Babel's locale is still the one `speaking` forced, in the same application context.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache

import flask_babel
from babel import Locale
from babel.support import NullTranslations
from flask import g, has_app_context, has_request_context, request
from flask_babel import force_locale, format_date, format_datetime, format_decimal, format_percent, get_locale
from flask_babel.speaklater import LazyString
from flask_login import current_user
from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable

LANGUAGES = ("en", "fr", "de")
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "de": "Deutsch"}
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# English keeps the portal's established "1 May 2026"; French and German use their own conventions.
_PATTERNS = {
    "long": {"en": "d MMMM y", "fr": "d MMMM y", "de": "d. MMMM y"},
    "short": {"en": "d MMM y", "fr": "d MMM y", "de": "d. MMM y"},
    "month": {"en": "MMMM y", "fr": "MMMM y", "de": "MMMM y"},
    "datetime": {"en": "d MMM y, HH:mm", "fr": "d MMM y, HH:mm", "de": "d. MMM y, HH:mm"},
}


class _Spoken:
    """The catalog `speaking` looked up, and what must still hold for it to be the one Flask-Babel would use."""
    __slots__ = ("babel", "catalog", "globals", "locale")

    def __init__(self, app_globals, babel, locale, catalog):
        self.globals, self.babel, self.locale, self.catalog = app_globals, babel, locale, catalog


_SPOKEN: ContextVar[_Spoken | None] = ContextVar("i18n.spoken", default=None)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """`force_locale(language)`, with the catalog Flask-Babel would use looked up once for `gettext`."""
    with force_locale(_locale(language)):
        babel = g.get("_flask_babel") if has_app_context() else None  # Flask-Babel's context: where it forced it
        spoken = None if babel is None else \
            _Spoken(g._get_current_object(), babel, babel.babel_locale, flask_babel.get_translations())
        token = _SPOKEN.set(spoken)
        try:
            yield
        finally:
            _SPOKEN.reset(token)


def translations() -> NullTranslations:
    """The catalog Flask-Babel would use here: the one `speaking` looked up while its language is still the
    one forced (a nested `force_locale` replaces Flask-Babel's locale object, and restores it when it ends)."""
    spoken = _SPOKEN.get()
    if spoken is not None and spoken.babel.babel_locale is spoken.locale and has_app_context() \
            and g._get_current_object() is spoken.globals:
        return spoken.catalog
    return flask_babel.get_translations()


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)  # force_locale takes a Locale as it is, instead of parsing the name each time


def gettext(string: str, **variables) -> str:
    """Flask-Babel's gettext (the same catalog and the same `%` formatting)."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    return LazyString(gettext, string, **variables)


def select_locale() -> str:
    """Flask-Babel's locale selector; outside a request (the mail worker) English is the fallback."""
    if not has_request_context():
        return "en"
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen

    stored = _loaded_locale(current_user._get_current_object()) if current_user else None
    if stored in LANGUAGES:
        return stored
    return request.accept_languages.best_match(LANGUAGES) or "en"


def _loaded_locale(user) -> str | None:
    """The user's stored choice if it is already loaded. Never a query: the first translated sentence of a
    request may come right after a failed flush (a race lost), when the session cannot load anything."""
    try:
        return inspect(user).dict.get("locale")
    except NoInspectionAvailable:  # the anonymous user
        return None


def user_locale(user) -> str:
    """The language to write to `user` in when they are not the one asking (mail, letters): theirs, else English."""
    stored = getattr(user, "locale", None)
    return stored if stored in LANGUAGES else "en"


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else "en"


def _pattern(kind: str) -> str:
    return _PATTERNS[kind][current_language()]


def long_date(day: date | None) -> str:
    """"1 May 2026", "1 mai 2026", "1. Mai 2026"."""
    return format_date(day, _pattern("long")) if day else ""


def short_date(day: date | None) -> str:
    return format_date(day, _pattern("short")) if day else ""


def month_year(day: date | None) -> str:
    """"March 2025", "mars 2025", "März 2025"."""
    return format_date(day, _pattern("month")) if day else ""


def utc_datetime(moment: datetime | None) -> str:
    """A moment in UTC (the pages say "UTC" after it), in the reader's words for the month."""
    return format_datetime(moment, _pattern("datetime"), rebase=False) if moment else ""


def number(value) -> str:
    return format_decimal(value)


def percent(rate: float | None, digits: int = 0) -> str:
    """A rate as the reader writes a percentage, with `digits` decimals: "25%", "25 %", "12,5 %"."""
    if rate is None:
        return ""
    locale = get_locale()
    pattern = locale.percent_formats[None].pattern if locale is not None else "#,##0%"
    if digits:
        pattern = pattern.replace("0", "0." + "0" * digits, 1)
    return format_percent(rate, pattern)


def register_i18n(app) -> None:
    """Jinja filters for dates and numbers, and the language list for the switcher."""
    # Flask-Babel's own template callables, reading the catalog through `translations` (see above)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.filters.update(long_date=long_date, short_date=short_date, month_year=month_year,
                                 utc_datetime=utc_datetime, number=number, percent=percent)

    @app.context_processor
    def languages():
        return {"languages": LANGUAGE_NAMES, "current_language": current_language()}

    @app.after_request
    def vary_on_language(response):
        # The same URL answers in three languages: a shared cache (the public pages and the feed may be
        # cached) must key on what chose the language.
        if request.endpoint != "static":
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response
