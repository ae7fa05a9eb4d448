"""The Jinja environment documents render with: no request, but the reader's language.

Documents are drawn outside a page's template environment (a view, a mail job or the CLI), so this one
installs Flask-Babel's gettext itself; wrap a render in `force_locale(user_locale(owner))` to choose it.
"""
from __future__ import annotations

from pathlib import Path

from flask_babel import gettext, ngettext
from jinja2 import Environment, FileSystemLoader, select_autoescape

from portal.core.i18n import long_date, month_year, number, short_date, utc_datetime

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def document_env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(lambda s: gettext(s), lambda s, p, n: ngettext(s, p, n), newstyle=True)
    env.filters.update(long_date=long_date, short_date=short_date, month_year=month_year,
                       utc_datetime=utc_datetime, number=number)
    return env
