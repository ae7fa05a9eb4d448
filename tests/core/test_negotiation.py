"""core/negotiation: the Accept and Accept-Language headers' outcomes, remembered per value, are Werkzeug's
own for every header, asked once or many times, and the memory stays bounded."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import LanguageAccept, MIMEAccept
from werkzeug.http import parse_accept_header

from portal.core import negotiation

ACCEPTS = [None, "", "application/json", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
           "application/json;q=0.5, text/html;q=0.4", "*/*", "application/linkset+json", "text/*;q=0.1, */*;q=0.2",
           "application/json;q=0", "garbage;;;q=x, ,", "application/problem+json"]
OFFERS = [("text/html", "application/json"), ("text/html", "application/json", "application/linkset+json")]
LANGUAGES = [None, "", "fr-FR,fr;q=0.9,en;q=0.8", "de", "de-CH;q=0.3, fr;q=0.4", "*", "es, it;q=0.5", "en-GB;q=0"]


@pytest.mark.parametrize("accept", ACCEPTS)
def test_media_types_are_werkzeugs_choice(accept):
    for _ in range(2):  # computed, then remembered
        assert negotiation.best_type(accept) == parse_accept_header(accept, MIMEAccept).best
        for offers in OFFERS:
            assert negotiation.best_offer(accept, offers) == parse_accept_header(accept, MIMEAccept).best_match(offers)


@pytest.mark.parametrize("header", LANGUAGES)
def test_languages_are_werkzeugs_choice(header):
    for _ in range(2):
        assert negotiation.best_language(header, ("en", "fr", "de")) == \
            parse_accept_header(header, LanguageAccept).best_match(("en", "fr", "de"))


def test_the_memory_is_bounded():
    for n in range(600):
        negotiation.best_type(f"application/x-{n}")
    assert negotiation.best_type.cache_info().currsize <= 256
