"""core/urls.PortalFlask: a page's links are remembered per process, and each is still the link Flask builds
for that request (script root, host, scheme, the console's tenant), never one remembered for another."""
from __future__ import annotations

import pytest
from flask import Flask, g, url_for

from portal.core import urls

CALLS = [
    ("static", {"filename": "css/portal.css"}),
    ("public.home", {}),
    ("public.language", {"code": "fr", "next": "/recalls/lookup?gtin=1&serial=a b&x=é"}),
    ("public.home", {"_anchor": "main part"}),
    ("recalls.lookup", {"gtin": "09506000134352", "serial": 7}),
]


def built(app, **request) -> list[str]:
    with app.test_request_context(**request):
        return [url_for(endpoint, **values) for endpoint, values in CALLS]


def flask_built(app, **request) -> list[str]:
    with app.test_request_context(**request):
        return [Flask.url_for(app, endpoint, **values) for endpoint, values in CALLS]


@pytest.mark.parametrize("request_", [{}, {"base_url": "http://shop.example/portal/"},
                                      {"base_url": "https://other.example/"}])
def test_links_are_flasks_own_for_each_request(app, request_):
    assert isinstance(app, urls.PortalFlask)
    app._links.clear()
    first = built(app, **request_)
    assert first == flask_built(app, **request_)
    assert built(app, **request_) == first  # the remembered ones
    assert app._links  # it did remember them


def test_a_script_root_or_host_never_gets_anothers_links(app):
    app._links.clear()
    plain = built(app)
    mounted = built(app, base_url="http://portal.test/under/")
    assert all(link.startswith("/under/") for link in mounted) and not any(p.startswith("/under/") for p in plain)
    with app.test_request_context(base_url="https://a.example/"):
        a = url_for("public.home", _external=True)
    with app.test_request_context(base_url="https://b.example/"):
        b = url_for("public.home", _external=True)
    assert (a, b) == ("https://a.example/", "https://b.example/")


def test_the_consoles_tenant_is_added_per_request(app):
    app._links.clear()
    for tenant in ("acme", "zenith"):
        with app.test_request_context():
            g.tenant_slug = tenant
            assert url_for("console.home") == f"/console/{tenant}/"


def test_values_that_are_objects_are_built_every_time(app):
    class Serial:
        def __init__(self):
            self.text = "A1"

        def __str__(self):
            return self.text

    serial = Serial()
    with app.test_request_context():
        first = url_for("recalls.lookup", serial=serial)
        serial.text = "B2"
        assert (first, url_for("recalls.lookup", serial=serial)) == ("/recalls/lookup?serial=A1",
                                                                     "/recalls/lookup?serial=B2")


def test_the_memory_is_bounded(app, monkeypatch):
    monkeypatch.setattr(urls, "KEPT_LINKS", 50)
    with app.test_request_context():
        for n in range(180):
            assert url_for("public.language", code="de", next=f"/page/{n}") == \
                f"/language/de?next=/page/{n}"
            assert len(app._links) <= 50
