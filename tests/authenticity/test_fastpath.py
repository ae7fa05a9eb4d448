"""The verdict fast path (cookie-less JSON answered ahead of Flask) answers exactly as the Flask view does.

The verdict lives at /verdict/01/... (the resolver's verification link for a serial); the resolver's own lean
route at /01/... is held to its view in tests/resolver/test_lean_path.py."""
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from portal.accounts.services import find_user
from portal.authenticity import services
from portal.authenticity.models import CloneAlert, Scan
from portal.catalog.models import Unit
from portal.core import lean_work
from portal.extensions import db, limiter
from portal.ownership.services import register_unit, report_stolen
from tests.support.labels import keyed_world, tenant, with_param
from tests.support.labels import sign_unit as sign_code

JSON = {"Accept": "application/json"}


@pytest.fixture
def world(app):
    return keyed_world(app)


def sign_unit(app, unit_id) -> str:
    """The verdict's own path for a freshly signed label (the code's /01/... path behind /verdict)."""
    return "/verdict" + sign_code(app, unit_id)


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
        "unknown gtin": "/verdict/01/09999999999994/21/X1",
        "malformed": "/verdict/01/12345/21/X1",
        "no serial": "/verdict/01/" + base.split("/")[3],
    }


#: Headers whose values differ between any two answers (the time, the id, the limit already spent).
VARYING = {"Date", "X-Request-ID", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"}


def same_answer(quick, slow, what):
    assert quick.status_code == slow.status_code, what
    assert quick.get_data() == slow.get_data(), what  # byte for byte
    assert set(quick.headers.keys()) == set(slow.headers.keys()), what
    for name in set(quick.headers.keys()) - VARYING:
        assert quick.headers.get(name) == slow.headers.get(name), (what, name)


def test_every_kind_of_code_gets_the_same_answer_byte_for_byte_on_both_paths(app, world, view_calls):
    fast, full = app.test_client(), flask_view_client(app)
    for name, path in codes(app, world).items():
        for language in ("en", "fr"):
            headers = {**JSON, "Accept-Language": language}
            before = scans(app)
            quick, slow = fast.get(path, headers=headers), full.get(path, headers=headers)
            same_answer(quick, slow, (name, language))
            assert quick.headers["X-Request-ID"] and "X-RateLimit-Limit" in quick.headers
            recorded = scans(app) - before
            assert recorded == (2 if quick.status_code != 400 else 0), name  # one scan per judged code
    assert len(view_calls) == 2 * 8  # only the cookie-carrying requests reached the view


def test_the_answer_is_in_the_readers_language_and_names_the_stolen_unit(app, world, view_calls):
    paths = codes(app, world)
    english = app.test_client().get(paths["stolen"], headers=JSON).get_json()
    french = app.test_client().get(paths["stolen"], headers={**JSON, "Accept-Language": "fr"}).get_json()
    assert english["verdict"] == "warning" and english["warnings"][0]["code"] == "stolen"
    assert french["title"] != english["title"] and french["warnings"][0]["message"] != english["warnings"][0]["message"]
    assert view_calls == []  # both answered by the fast path


def test_pages_odd_paths_and_the_format_parameter_choose_their_path_as_the_view_reads_them(app, world, view_calls):
    path = sign_unit(app, world.unit_ids_a[0])
    client = app.test_client()
    assert client.get(path).status_code == 200 and len(view_calls) == 1  # a browser page: the view
    assert client.get(path + "&format=json").get_json()["verdict"] == "genuine" and len(view_calls) == 1
    page = client.get(path + "&format=xml&format=json")  # the view reads the first format parameter
    assert page.mimetype == "text/html" and len(view_calls) == 2
    for odd in ("/verdict/01/", "/verdict/01//" + path[12:]):  # no route, and a merged-slash redirect: the view's own answers
        quick, slow = client.get(odd, headers=JSON), flask_view_client(app).get(odd, headers=JSON)
        assert quick.status_code == slow.status_code and quick.status_code in (308, 404)
    assert len(view_calls) == 2  # neither reached the verdict view


def test_both_paths_spend_the_same_public_rate_limit_and_refuse_alike(app, world, view_calls):
    path = sign_unit(app, world.unit_ids_a[0])
    app.config["RATELIMIT_PUBLIC"] = "3 per minute"
    try:
        limiter.reset()
        fast, full = app.test_client(), flask_view_client(app)
        answers = [fast.get(path, headers=JSON), full.get(path, headers=JSON), fast.get(path, headers=JSON)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
        assert answers[0].headers["X-RateLimit-Limit"] == answers[1].headers["X-RateLimit-Limit"] == "3"
        assert len(view_calls) == 1
        refused, refused_by_view = fast.get(path, headers=JSON), full.get(path, headers=JSON)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert refused.get_data() == refused_by_view.get_data() and refused.mimetype == refused_by_view.mimetype
    finally:
        app.config["RATELIMIT_PUBLIC"] = "10000 per minute"
        limiter.reset()


def test_a_failure_before_the_scan_is_written_hands_the_request_to_the_view_and_records_one_scan(
        app, world, view_calls, monkeypatch):
    path = sign_unit(app, world.unit_ids_a[0])
    real, failures = services.verify_code, []

    def fails_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            real(*args, **kwargs)  # the code is read and judged, then the request fails before its scan
            raise RuntimeError("something broke")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "verify_code", fails_once)
    before = scans(app)
    response = app.test_client().get(path, headers={**JSON, "X-Request-ID": "till-42-abcdef"})
    assert response.status_code == 200 and response.get_json()["verdict"] == "genuine"
    assert view_calls == [1] and scans(app) == before + 1
    assert response.headers["X-Request-ID"] == "till-42-abcdef"  # the view kept the request's id


def test_a_failure_after_the_scan_is_written_is_answered_once_and_never_rerun(app, world, view_calls, monkeypatch):
    """The lean answer runs in autocommit (core/lean_work.py): its scan is kept the moment it is written, so
    a failure after that must not hand the request to the view, which would record it a second time."""
    path = sign_unit(app, world.unit_ids_a[0])
    real = services.answer_code

    def scans_then_fails(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("something broke after the scan was written")

    monkeypatch.setattr(services, "answer_code", scans_then_fails)
    before = scans(app)
    response = app.test_client().get(path, headers=JSON)
    assert response.status_code == 500 and response.mimetype == "application/problem+json"
    assert "recorded" in response.get_json()["detail"]
    assert view_calls == [] and scans(app) == before + 1


@pytest.fixture
def failing_flush():
    """Once armed, makes the next flush of an ORM session fail after it wrote (the clone alert's INSERT)."""
    state = {"armed": False, "fired": 0}

    def fail_once(session, context):
        if state["armed"]:
            state["armed"], state["fired"] = False, state["fired"] + 1
            raise RuntimeError("something broke while the alert was written")

    event.listen(lean_work.Session, "after_flush", fail_once)
    yield state
    event.remove(lean_work.Session, "after_flush", fail_once)


def test_a_clone_alert_is_written_in_its_own_transaction_after_the_scan(app, world, view_calls, failing_flush):
    """The alert goes through the ORM session in `lean_work.atomic`, a transaction of its own: when its write
    fails, the alert is rolled back while the scan before it stays recorded, and the next scan raises it."""
    with app.app_context():
        tenant("acme").clone_max_clients = 2
        db.session.commit()
    path = sign_unit(app, world.unit_ids_a[0])
    assert app.test_client().get(path, headers={**JSON, "User-Agent": "phone-1"}).get_json()["verdict"] == "genuine"
    failing_flush["armed"] = True
    before = scans(app)
    answer = app.test_client().get(path, headers={**JSON, "User-Agent": "phone-2"})
    assert failing_flush["fired"] == 1 and answer.status_code == 500  # the scan was recorded, the answer was not given
    assert view_calls == [] and scans(app) == before + 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CloneAlert)) == 0  # rolled back, unlike the scan
    again = app.test_client().get(path, headers={**JSON, "User-Agent": "phone-3"})
    assert again.get_json()["verdict"] == "warning" and scans(app) == before + 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CloneAlert)) == 1


def test_a_clone_alert_raised_on_the_lean_path_is_kept_with_its_scan(app, world, view_calls):
    with app.app_context():
        tenant("acme").clone_max_clients = 2
        db.session.commit()
    path = sign_unit(app, world.unit_ids_a[0])
    before = scans(app)
    verdicts = [app.test_client().get(path, headers={**JSON, "User-Agent": f"phone-{n}"}).get_json()["verdict"]
                for n in range(3)]
    assert verdicts == ["genuine", "warning", "warning"] and view_calls == [] and scans(app) == before + 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CloneAlert)) == 1


def test_a_failure_after_the_commit_is_answered_once_and_never_rerun(app, world, view_calls, monkeypatch):
    path = sign_unit(app, world.unit_ids_a[0])
    monkeypatch.setattr(services.ScanAnswer, "as_json", lambda self: 1 / 0)
    before = scans(app)
    response = app.test_client().get(path, headers=JSON)
    assert response.status_code == 500 and response.mimetype == "application/problem+json"
    assert view_calls == [] and scans(app) == before + 1  # recorded once, not again by the view


def test_a_database_outage_on_the_fast_path_answers_503_with_retry_after(app, world, view_calls, monkeypatch):
    path = sign_unit(app, world.unit_ids_a[0])

    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionError("connection refused"))

    monkeypatch.setattr(services, "answer_code", unreachable)
    response = app.test_client().get(path, headers=JSON)
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) >= 1 and response.get_json()["status"] == 503
    assert view_calls == []  # not handed on to wait for the database a second time


def test_a_callers_request_id_is_echoed(app, world, view_calls):
    path = sign_unit(app, world.unit_ids_a[0])
    response = app.test_client().get(path, headers={**JSON, "X-Request-ID": "till-42-abcdef"})
    assert response.headers["X-Request-ID"] == "till-42-abcdef" and view_calls == []


def test_switched_off_every_verdict_goes_through_the_view(app, world, view_calls):
    path = sign_unit(app, world.unit_ids_a[0])
    app.config["VERDICT_FAST_PATH"] = False
    try:
        assert app.test_client().get(path, headers=JSON).get_json()["verdict"] == "genuine"
        assert view_calls == [1]
    finally:
        app.config["VERDICT_FAST_PATH"] = True
