"""A Host header Werkzeug refuses (an empty label, a name too long for IDNA) is answered 400 on every page,
as Flask routes it, with the error page's links relative as always (core/urls.PortalFlask), never with a
500; the lean recall lookup leaves such a request to the view."""
import pytest

from tests.factories import build_world

REFUSED = ["a..b", "x" * 300]
PAGES = ["/", "/recalls/lookup", "/recalls/lookup?gtin=04012345000017&serial=A-1", "/recalls", "/signin",
         "/check", "/console/", "/no-such-page"]


@pytest.fixture
def world(app):
    return build_world(app)


@pytest.mark.parametrize("host", REFUSED)
@pytest.mark.parametrize("page", PAGES)
def test_a_refused_host_gets_a_400_page(app, world, host, page):
    answer = app.test_client().get(page, headers={"Host": host, "Accept": "text/html"})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400 and answer.mimetype == "text/html"
    assert 'href="/static/css/portal.css' in body and host not in body


@pytest.mark.parametrize("host", REFUSED)
@pytest.mark.parametrize("page", ["/recalls/lookup?gtin={gtin}&serial={serial}&format=json", "/01/{gtin}/21/{serial}",
                                  "/verdict/01/{gtin}/21/{serial}"])
def test_a_refused_host_gets_a_400_problem_when_it_asks_for_json(app, world, host, page):
    """The lean answers (authenticity/fastpath.py) leave it to the view, which refuses it as Flask routes it."""
    page = page.format(gtin=world.gtin_a, serial=world.serials_a[0])
    answer = app.test_client().get(page, headers={"Host": host, "Accept": "application/json"})
    assert answer.status_code == 400 and answer.is_json
    assert app.test_client().get(page, headers={"Accept": "application/json"}).status_code == 200


def test_a_host_werkzeug_accepts_is_answered_as_usual(app, world):
    answer = app.test_client().get("/recalls/lookup", headers={"Host": "shop.example:8443"})
    assert answer.status_code == 200 and 'href="/static/css/portal.css' in answer.get_data(as_text=True)
