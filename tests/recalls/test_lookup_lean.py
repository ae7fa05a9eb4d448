"""The public recall lookup's JSON answers on the lean path (recalls/lookup_lean.py, ahead of Flask) are the
view's, byte for byte and header for header; everything else is the view's."""
from __future__ import annotations

import pytest

from portal.extensions import db
from portal.recalls import services
from tests.support.recalls import BIKE, CELL, make_draft

#: Headers whose values differ between any two answers (the time, the id, the limit already spent).
VARYING = {"Date", "X-Request-ID", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"}


@pytest.fixture
def view_calls(fleet, monkeypatch):
    calls = []
    view = fleet.view_functions["recalls.lookup"]
    monkeypatch.setitem(fleet.view_functions, "recalls.lookup", lambda *a, **kw: calls.append(1) or view(*a, **kw))
    return calls


@pytest.fixture
def recalled(fleet):
    with fleet.app_context():
        services.launch(make_draft(lots=["CELL-A"]), remedy_available=False, actor="test")
        db.session.commit()
    return fleet


ASKS = {
    "recalled bike": (f"?gtin={BIKE}&serial=B-001&format=json", {}),
    "its cell, by Accept": (f"?gtin={CELL}&serial=C-001", {"Accept": "application/json"}),
    "no recall": (f"?gtin={BIKE}&serial=B-009&format=json", {}),
    "spaces and short gtin": (f"?gtin=+{BIKE[1:]}+&serial=+B-001+&format=json", {}),
    "unknown serial": (f"?gtin={BIKE}&serial=NOPE&format=json", {}),
    "bad check digit": ("?gtin=12345678901234&serial=B-001&format=json", {}),
    "nothing asked": ("?format=json", {}),
    "hostile text": ("?gtin=%3Cscript%3E&serial=%00%ff%22&format=json", {}),
    "format twice": (f"?format=json&format=html&gtin={BIKE}&serial=B-002", {}),
}


def test_every_json_lookup_is_the_same_on_the_lean_path_and_through_the_view(recalled, view_calls):
    fast, full = recalled.test_client(), recalled.test_client()
    full.set_cookie("seen_intro", "1")  # a cookie sends the request to the view
    answered_fast = 0
    for name, (query, headers) in ASKS.items():
        for language in ("en", "fr", "de"):
            sent = {**headers, "Accept-Language": language}
            before = len(view_calls)
            quick = fast.get("/recalls/lookup" + query, headers=sent)
            answered_fast += len(view_calls) == before
            slow = full.get("/recalls/lookup" + query, headers=sent)
            what = (name, language)
            assert quick.status_code == slow.status_code, what
            assert quick.get_data() == slow.get_data(), what  # byte for byte
            assert set(quick.headers.keys()) == set(slow.headers.keys()), what
            for header in set(quick.headers.keys()) - VARYING:
                assert quick.headers.get(header) == slow.headers.get(header), (what, header)
    assert answered_fast == len(ASKS) * 3  # every cookie-less one on the lean path
    assert len(view_calls) == len(ASKS) * 3  # the others by the view


def test_the_answers_say_what_the_lookup_knows(recalled):
    client = recalled.test_client()
    bike = client.get(f"/recalls/lookup?gtin={BIKE}&serial=B-001&format=json", headers={"Accept-Language": "de"})
    assert bike.status_code == 200 and bike.json["open_recalls"] == 1 and bike.json["serial"] == "B-001"
    assert bike.json["status"] == "Rückruf offen, Abhilfe noch nicht verfügbar"
    assert client.get(f"/recalls/lookup?gtin={BIKE}&serial=NOPE&format=json").status_code == 404
    bad = client.get("/recalls/lookup?gtin=%3Cscript%3E&format=json")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json" and "<script>" not in bad.text


def test_the_page_and_a_cookie_go_to_the_view(recalled, view_calls):
    page = recalled.test_client().get(f"/recalls/lookup?gtin={BIKE}&serial=B-001")
    assert page.status_code == 200 and page.mimetype == "text/html" and view_calls == [1]
    html_first = recalled.test_client().get(f"/recalls/lookup?gtin={BIKE}&serial=B-001",
                                            headers={"Accept": "text/html, application/json;q=0.9"})
    assert html_first.mimetype == "text/html" and view_calls == [1, 1]
    client = recalled.test_client()
    client.set_cookie("session", "x")
    assert client.get(f"/recalls/lookup?gtin={BIKE}&serial=B-001&format=json").status_code == 200
    assert view_calls == [1, 1, 1]
    recalled.config["VERDICT_FAST_PATH"] = False
    try:
        assert recalled.test_client().get(f"/recalls/lookup?gtin={BIKE}&serial=B-001&format=json").status_code == 200
        assert view_calls == [1, 1, 1, 1]
    finally:
        recalled.config["VERDICT_FAST_PATH"] = True
