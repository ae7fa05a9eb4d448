"""The return country list sorts names as every other country list does: by one rule, portal.core.countries.
name_key (Österreich among the O's in German, Bénin before Burundi in French), not a copy of it."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from portal.core import countries
from portal.warranty import forms


@pytest.mark.parametrize("language", ["de", "fr", "en"])
def test_return_countries_follow_the_shared_name_rule(app, language, monkeypatch):
    with app.test_request_context(), force_locale(language):
        names = [str(c.label) for c in forms.country_choices()[1:]]
        assert names == sorted(names, key=countries.name_key)
        # one place per rule: the warranty form calls the shared key, so a change to it is seen here
        monkeypatch.setattr(forms, "name_key", lambda name: tuple(-ord(c) for c in name))
        reversed_names = [str(c.label) for c in forms.country_choices()[1:]]
        assert reversed_names != names and sorted(reversed_names) == sorted(names)


def test_accented_names_sit_among_their_letter(app):
    with app.test_request_context(), force_locale("de"):
        names = [str(c.label) for c in forms.country_choices()[1:]]
    assert names.index("Oman") < names.index("Österreich") < names.index("Pakistan")
