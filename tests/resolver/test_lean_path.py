"""The resolver's lean path (cookie-less GET and HEAD of /01/... ahead of Flask) answers byte for byte as its view."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.authenticity.models import Scan
from portal.extensions import db
from tests.support.resolver import ROOT, bare

#: Headers whose values differ between any two answers (the time, the id, the limit already spent).
VARYING = {"Date", "X-Request-ID", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"}


@pytest.fixture
def view_calls(app, monkeypatch):
    calls = []
    view = app.view_functions["resolver.resolve_code"]
    monkeypatch.setitem(app.view_functions, "resolver.resolve_code", lambda *a, **kw: calls.append(1) or view(*a, **kw))
    return calls


def scans(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Scan))


def requests_of(codes):
    serial, gtin, lot = codes["serial"], codes["gtin"], codes["lot"]
    return {
        "serial default": (serial, {}), "gtin default": (gtin, {}), "lot default": (lot, {}),
        "linkset": (bare(serial) + "?linkType=linkset", {}), "linkset by accept": (lot, {"Accept": "application/linkset+json"}),
        "link type": (lot + "?linkType=gs1:recallStatus&foo=bar", {"Accept": "application/json"}),
        "missing type (json)": (gtin + "?linkType=gs1:nosuchlt", {"Accept": "application/json"}),
        "unknown gtin (json)": ("/01/09999999999994", {"Accept": "application/json"}),
        "malformed (json)": ("/01/12345", {"Accept": "application/json"}),
        "verdict json": (serial, {"Accept": "application/json"}),
        "verdict json, unknown serial": (f"{gtin}/21/NOPE", {"Accept": "application/json"}),
    }


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_every_resolver_answer_is_the_same_on_the_lean_path_and_through_the_view(app, codes, view_calls, method):
    fast, full = app.test_client(), app.test_client()
    full.set_cookie("seen_intro", "1", domain="id.provenance.test")  # a cookie sends the request to the view
    for name, (path, headers) in requests_of(codes).items():
        for language in ("en", "de"):
            sent = {**headers, "Accept-Language": language}
            before = scans(app)
            quick = fast.open(path, method=method, headers=sent, base_url=ROOT)
            slow = full.open(path, method=method, headers=sent, base_url=ROOT)
            what = (name, language)
            assert quick.status_code == slow.status_code, what
            assert quick.get_data() == slow.get_data(), what  # byte for byte
            assert set(quick.headers.keys()) == set(slow.headers.keys()), what
            for header in set(quick.headers.keys()) - VARYING:
                assert quick.headers.get(header) == slow.headers.get(header), (what, header)
            judged = name.startswith("verdict json")
            assert scans(app) - before == (2 if judged else 0), what
    assert len(view_calls) == 2 * len(requests_of(codes))  # only the cookie-carrying requests reached the view


def test_an_error_page_for_a_person_is_rendered_by_the_view(app, codes, view_calls):
    response = app.test_client().get(codes["gtin"] + "?linkType=gs1:nosuchlt", base_url=ROOT)
    assert response.status_code == 404 and response.mimetype == "text/html" and view_calls == [1]
    assert 'rel="linkset"' in response.headers["Link"]


def test_switched_off_the_resolver_is_answered_by_its_view(app, codes, view_calls):
    app.config["VERDICT_FAST_PATH"] = False
    try:
        assert app.test_client().get(codes["gtin"], base_url=ROOT).status_code == 307 and view_calls == [1]
    finally:
        app.config["VERDICT_FAST_PATH"] = True
