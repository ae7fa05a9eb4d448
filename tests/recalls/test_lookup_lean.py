"""The public recall lookup's answers on the lean path (recalls/lookup_lean.py, ahead of Flask), its JSON and
its page, are the view's, byte for byte and header for header; a request with a cookie, over its limit or with
a query that is not UTF-8 is the view's."""
from __future__ import annotations

import re

import pytest

from portal.extensions import db, limiter
from portal.recalls import lookup_lean, services
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


def both_ways(recalled, view_calls, asks: dict, accept_language):
    """Each ask in English, French and German, cookie-less and with a cookie (which sends it to the view):
    yields what was asked, the two answers, and whether the cookie-less one stayed on the lean path."""
    fast, full = recalled.test_client(), recalled.test_client()
    full.set_cookie("seen_intro", "1")
    for name, (query, headers) in asks.items():
        for language in ("en", "fr", "de"):
            sent = {**headers, "Accept-Language": accept_language(language)}
            before = len(view_calls)
            quick = fast.get("/recalls/lookup" + query, headers=sent)
            lean = len(view_calls) == before
            yield (name, language), quick, full.get("/recalls/lookup" + query, headers=sent), lean


def same_headers(quick, slow, what) -> None:
    assert set(quick.headers.keys()) == set(slow.headers.keys()), what
    for header in set(quick.headers.keys()) - VARYING:
        assert quick.headers.get(header) == slow.headers.get(header), (what, header)


def test_every_json_lookup_is_the_same_on_the_lean_path_and_through_the_view(recalled, view_calls):
    answered_fast = 0
    for what, quick, slow, lean in both_ways(recalled, view_calls, ASKS, lambda language: language):
        answered_fast += lean
        assert quick.status_code == slow.status_code, what
        assert quick.get_data() == slow.get_data(), what  # byte for byte
        same_headers(quick, slow, what)
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


PAGES = {
    "the form": ("", {}),
    "nothing typed": ("?gtin=&serial=", {}),
    "recalled bike": (f"?gtin={BIKE}&serial=B-001", {}),
    "its cell, short gtin with spaces": (f"?gtin=+{BIKE[1:]}+&serial=+C-001+&gtin={CELL}", {}),
    "recalled cell": (f"?gtin={CELL}&serial=C-001", {"Accept": "text/html, application/json;q=0.9"}),
    "no recall": (f"?gtin={BIKE}&serial=B-009", {}),
    "unknown serial": (f"?gtin={BIKE}&serial=NOPE", {}),
    "bad check digit": ("?gtin=12345678901234&serial=B-001", {}),
    "serial missing": (f"?gtin={BIKE}", {}),
    "format html": (f"?format=html&format=json&gtin={BIKE}&serial=B-001", {"Accept": "*/*"}),
}
HOSTILE = {
    "html in serial": (f"?gtin={BIKE}&serial=%3Cscript%3Ealert(1)%3C/script%3E", 422),
    "html in gtin": ("?gtin=%3Cimg+src=x+onerror=alert(1)%3E&serial=B-001", 422),
    "quotes and nul": (f"?gtin={BIKE}&serial=%22%3E%00%27%ff", 422),
    "very long values": ("?gtin=" + "9" * 20000 + "&serial=" + "%3Cb%3E" * 3000, 422),
    "long unknown serial": (f"?gtin={BIKE}&serial=" + "A" * 5000, None),  # 404 or 422: the GS1 rules decide
}


def _page(response) -> str:
    return re.sub(r'data-rendered-at="[^"]*"', "", response.get_data(as_text=True))  # the second it was made


def test_every_page_is_the_same_on_the_lean_path_and_through_the_view(recalled, view_calls):
    answered_fast, statuses = 0, set()
    for what, quick, slow, lean in both_ways(recalled, view_calls, PAGES,
                                             lambda language: f"{language};q=0.9, en;q=0.1"):
        answered_fast += lean
        language = what[1]
        assert quick.status_code == slow.status_code, what
        assert _page(quick) == _page(slow), what  # byte for byte but the second
        assert quick.mimetype == "text/html" and f'<html lang="{language}">' in quick.text, what
        same_headers(quick, slow, what)
        assert "Set-Cookie" not in quick.headers, what
        statuses.add(quick.status_code)
    assert statuses == {200, 404, 422}
    assert answered_fast == len(PAGES) * 3  # every cookie-less one on the lean path
    assert len(view_calls) == len(PAGES) * 3  # the others by the view


def test_the_page_says_what_the_lookup_knows_in_the_readers_language(recalled, view_calls):
    client = recalled.test_client()
    bike = client.get(f"/recalls/lookup?gtin={BIKE}&serial=B-001", headers={"Accept-Language": "de"})
    assert bike.status_code == 200 and "Rückruf offen, Abhilfe noch nicht verfügbar" in bike.text
    assert '<span class="mono">B-001</span>' in bike.text and 'aria-current="true">Deutsch' in bike.text
    fine = client.get(f"/recalls/lookup?gtin={BIKE}&serial=B-009", headers={"Accept-Language": "fr"})
    assert fine.status_code == 200 and "verdict-genuine" in fine.text and '<html lang="fr">' in fine.text
    unknown = client.get(f"/recalls/lookup?gtin={BIKE}&serial=NOPE")
    assert unknown.status_code == 404 and "is known to Provenance" in unknown.text
    # the language links come back to this lookup, its query escaped in the address
    assert f"next=/recalls/lookup?gtin%3D{BIKE}%26serial%3DNOPE" in unknown.text
    assert view_calls == []


def test_hostile_input_is_answered_escaped_on_the_lean_path(recalled, view_calls):
    client, full = recalled.test_client(), recalled.test_client()
    full.set_cookie("seen_intro", "1")
    for name, (query, status) in HOSTILE.items():
        quick, slow = client.get("/recalls/lookup" + query), full.get("/recalls/lookup" + query)
        assert quick.status_code in ((status,) if status else (404, 422)), name
        assert (quick.status_code, _page(quick)) == (slow.status_code, _page(slow)), name
        for raw in ("<script>", "<img", "<b>", '"\x00'):
            assert raw not in quick.text, (name, raw)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/recalls/lookup" + HOSTILE["html in serial"][0]).text
    assert 'value="&#34;&gt;' in client.get("/recalls/lookup" + HOSTILE["quotes and nul"][0]).text
    assert len(view_calls) == len(HOSTILE)  # only the requests with a cookie


NOT_UTF8 = {"QUERY_STRING": "gtin=\xff%3Cb%3E&serial=\xfe"}  # raw bytes, as a WSGI server passes them (latin-1)


def test_a_query_that_is_not_utf8_is_left_to_the_view(recalled):
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/recalls/lookup", **NOT_UTF8}
    assert not lookup_lean.wants(environ)
    assert lookup_lean.wants({**environ, "QUERY_STRING": "gtin=%FF%3Cb%3E&serial=%FE"})  # percent-encoded: lean


def test_a_query_that_is_not_utf8_is_answered_4xx(recalled):
    """The application escapes raw bytes before any page reads the query (core/http.EscapedQuery)."""
    odd = recalled.test_client().get("/recalls/lookup", environ_overrides=NOT_UTF8)
    assert odd.status_code in (400, 422) and "<b>" not in odd.text


def test_a_cookie_a_spent_limit_and_the_switch_off_go_to_the_view(recalled, view_calls):
    asked = f"/recalls/lookup?gtin={BIKE}&serial=B-001"
    client = recalled.test_client()
    client.set_cookie("session", "x")
    assert client.get(asked).status_code == 200 and view_calls == [1]
    assert client.get(asked + "&format=json").status_code == 200 and view_calls == [1, 1]
    assert recalled.test_client().head(asked).status_code == 200 and view_calls == [1, 1, 1]
    recalled.config["RATELIMIT_PUBLIC"] = "2 per minute"
    try:
        limiter.reset()
        fast = recalled.test_client()
        answers = [fast.get(asked), fast.get(asked)]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["1", "0"] and len(view_calls) == 3
        refused = fast.get(asked)
        assert refused.status_code == 429 and refused.mimetype == "text/html" and len(view_calls) == 4  # Flask's
    finally:
        recalled.config["RATELIMIT_PUBLIC"] = "10000 per minute"
        limiter.reset()
    recalled.config["VERDICT_FAST_PATH"] = False
    try:
        assert recalled.test_client().get(asked).status_code == 200 and len(view_calls) == 5
        assert recalled.test_client().get(asked + "&format=json").status_code == 200 and len(view_calls) == 6
    finally:
        recalled.config["VERDICT_FAST_PATH"] = True
