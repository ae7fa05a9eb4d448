"""A query string with raw bytes beyond ASCII (a client that did not percent-encode them) is answered like
its percent-encoded twin on every page (core/http.EscapedQuery), never with a 500."""
import pytest

from tests.factories import build_world

NOT_UTF8 = "gtin=\xff%3Cb%3E&serial=\xfe&q=\xc3"  # raw bytes as a WSGI server passes them (Latin-1 characters)
PAGES = ["/", "/recalls/lookup", "/recalls/lookup?format=json", "/recalls", "/01/04012345000017/21/X",
         "/verdict/01/04012345000017/21/X", "/signin", "/check", "/no-such-page"]


@pytest.fixture
def world(app):
    return build_world(app)


@pytest.mark.parametrize("page", PAGES)
def test_a_raw_query_that_is_not_utf8_gets_the_answer_of_its_percent_encoded_twin(app, world, page):
    path, _, given = page.partition("?")
    raw = app.test_client().get(path, environ_overrides={"QUERY_STRING": NOT_UTF8 + (f"&{given}" if given else "")})
    escaped = app.test_client().get(path + "?gtin=%FF%3Cb%3E&serial=%FE&q=%C3" + (f"&{given}" if given else ""))
    assert raw.status_code < 500 and raw.status_code == escaped.status_code
    assert "<b>" not in raw.get_data(as_text=True)


def test_a_raw_utf8_query_keeps_its_meaning(app, world):
    raw = app.test_client().get("/recalls/lookup", environ_overrides={
        "QUERY_STRING": "gtin=123&serial=" + "Ré".encode().decode("latin-1")})
    assert raw.status_code == 422 and "Ré" in raw.get_data(as_text=True)  # the serial as typed, refused for its GTIN
