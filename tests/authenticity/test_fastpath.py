"""The verdict fast path (cookie-less JSON answered ahead of Flask) answers exactly as the Flask view does."""
import pytest
from sqlalchemy import func, select

from portal.accounts.services import find_user
from portal.authenticity import services
from portal.authenticity.models import Scan
from portal.catalog.models import Unit
from portal.extensions import db, limiter
from portal.ownership.services import register_unit, report_stolen
from tests.authenticity.test_verdicts import keyed_world, sign_unit, with_param

JSON = {"Accept": "application/json"}


@pytest.fixture
def world(app):
    return keyed_world(app)


def scans(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Scan))


@pytest.fixture
def view_calls(app, monkeypatch):
    """Counts the Flask view's calls, so a test can tell which path answered."""
    calls = []
    view = app.view_functions["authenticity.verdict"]
    monkeypatch.setitem(app.view_functions, "authenticity.verdict",
                        lambda *a, **kw: calls.append(1) or view(*a, **kw))
    return calls


def flask_view_client(app):
    """A client carrying an unrelated cookie: such requests always go to the Flask view."""
    client = app.test_client()
    client.set_cookie("seen_intro", "1")
    return client


def codes(app, world):
    genuine = sign_unit(app, world.unit_ids_a[0])
    stolen = sign_unit(app, world.unit_ids_a[1])
    with app.app_context():
        owner = find_user(world.owner)
        ownership = register_unit(owner, db.session.get(Unit, world.unit_ids_a[1]), purchased_on=None)
        report_stolen(owner, ownership, note="taken from the car")
        db.session.commit()
    base = genuine.split("?")[0]
    return {
        "genuine": genuine, "stolen": stolen,
        "bad signature": with_param(genuine, "s", "A" * 86),
        "unsigned": base,
        "unknown serial": base.rsplit("/", 1)[0] + "/NO-SUCH-SERIAL",
        "unknown gtin": "/01/09999999999994/21/X1",
        "malformed": "/01/12345/21/X1",
        "no serial": "/01/" + base.split("/")[2],
    }


def test_every_kind_of_code_gets_the_same_status_body_and_headers_on_both_paths(app, world, view_calls):
    fast, full = app.test_client(), flask_view_client(app)
    for name, path in codes(app, world).items():
        for language in ("en", "fr"):
            headers = {**JSON, "Accept-Language": language}
            before = scans(app)
            quick, slow = fast.get(path, headers=headers), full.get(path, headers=headers)
            assert quick.status_code == slow.status_code, name
            assert quick.get_json() == slow.get_json(), (name, language)
            assert quick.mimetype == slow.mimetype, name
            for header in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
                           "Permissions-Policy", "Cache-Control"):
                assert quick.headers.get(header) == slow.headers.get(header), (name, header)
            assert quick.headers["X-Request-ID"]
            recorded = scans(app) - before
            assert recorded == (2 if quick.status_code != 400 else 0), name  # one scan per judged code
    assert len(view_calls) == 2 * 8  # only the cookie-carrying requests reached the view


def test_the_answer_is_in_the_readers_language_and_names_the_stolen_unit(app, world):
    paths = codes(app, world)
    english = app.test_client().get(paths["stolen"], headers=JSON).get_json()
    french = app.test_client().get(paths["stolen"], headers={**JSON, "Accept-Language": "fr"}).get_json()
    assert english["verdict"] == "warning" and english["warnings"][0]["code"] == "stolen"
    assert french["title"] != english["title"] and french["warnings"][0]["message"] != english["warnings"][0]["message"]


def test_html_pages_and_format_json_choose_their_path(app, world, view_calls):
    path = sign_unit(app, world.unit_ids_a[0])
    client = app.test_client()
    assert client.get(path).status_code == 200 and len(view_calls) == 1  # a browser page: the view
    assert client.get(path + "&format=json").get_json()["verdict"] == "genuine" and len(view_calls) == 1


def test_both_paths_spend_the_same_public_rate_limit(app, world):
    path = sign_unit(app, world.unit_ids_a[0])
    app.config["RATELIMIT_PUBLIC"] = "3 per minute"
    try:
        limiter.reset()
        fast, full = app.test_client(), flask_view_client(app)
        assert [fast.get(path, headers=JSON).status_code, full.get(path, headers=JSON).status_code,
                fast.get(path, headers=JSON).status_code] == [200, 200, 200]
        refused = fast.get(path, headers=JSON)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert full.get(path, headers=JSON).status_code == 429
    finally:
        app.config["RATELIMIT_PUBLIC"] = "10000 per minute"
        limiter.reset()


def test_a_failure_on_the_fast_path_hands_the_request_to_the_view_and_records_one_scan(app, world, view_calls,
                                                                                       monkeypatch):
    path = sign_unit(app, world.unit_ids_a[0])
    real, failures = services.answer_code, []

    def fails_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            real(*args, **kwargs)  # the scan is written, then the request fails: it must be rolled back
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "answer_code", fails_once)
    before = scans(app)
    response = app.test_client().get(path, headers=JSON)
    assert response.status_code == 200 and response.get_json()["verdict"] == "genuine"
    assert view_calls == [1] and scans(app) == before + 1


def test_a_callers_request_id_is_echoed(app, world):
    path = sign_unit(app, world.unit_ids_a[0])
    response = app.test_client().get(path, headers={**JSON, "X-Request-ID": "till-42-abcdef"})
    assert response.headers["X-Request-ID"] == "till-42-abcdef"


def test_switched_off_every_verdict_goes_through_the_view(app, world, view_calls):
    path = sign_unit(app, world.unit_ids_a[0])
    app.config["VERDICT_FAST_PATH"] = False
    try:
        assert app.test_client().get(path, headers=JSON).get_json()["verdict"] == "genuine"
        assert view_calls == [1]
    finally:
        app.config["VERDICT_FAST_PATH"] = True
