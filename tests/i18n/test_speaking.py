"""core.i18n.speaking: a lean answer looks its reader's catalog up once, for the code's `gettext` and the
templates' `_()` alike, and Flask-Babel's own choice wins wherever that language is no longer the one in play
(a nested `force_locale`, as mail to someone else takes; a fresh application context)."""
from __future__ import annotations

import pytest
from flask import render_template_string
from flask_babel import force_locale

from portal.core.i18n import gettext, lazy_gettext, speaking

SIGN_IN = {"en": "Sign in", "fr": "Se connecter", "de": "Anmelden"}
TEMPLATE = '{{ _("Sign in") }}|{{ _("Sign in %(who)s", who="<b>") }}'


def said() -> tuple[str, str, str]:
    """'Sign in' through the code's gettext, its lazy string, and a template."""
    return gettext("Sign in"), str(lazy_gettext("Sign in")), render_template_string(TEMPLATE).split("|")[0]


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_speaking_translates_code_and_templates(app, language):
    with app.app_context(), speaking(language):
        assert said() == (SIGN_IN[language],) * 3
        # the templates' placeholders are still filled and escaped as Flask-Babel's callables do
        assert render_template_string(TEMPLATE).split("|")[1].endswith("&lt;b&gt;")


def test_a_nested_force_locale_is_honoured_and_undone(app):
    with app.app_context(), speaking("fr"):
        assert said() == (SIGN_IN["fr"],) * 3
        with force_locale("de"):  # mail to a German owner written during a French answer
            assert said() == (SIGN_IN["de"],) * 3
            with force_locale("fr"):
                assert said() == (SIGN_IN["fr"],) * 3
        assert said() == (SIGN_IN["fr"],) * 3


def test_a_fresh_application_context_gets_flask_babels_choice(app):
    with app.app_context(), speaking("de"):
        with app.app_context():  # no request, no forced language: the selector's English
            assert said() == (SIGN_IN["en"],) * 3
        assert said() == (SIGN_IN["de"],) * 3


def test_outside_speaking_the_request_chooses(app):
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert said() == (SIGN_IN["de"],) * 3
