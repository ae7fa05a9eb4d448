"""Cookie flags and HSTS as production runs them: the app built with its default cookie settings."""
import pytest
from flask_login import login_user

from portal import create_app
from portal.accounts.services import find_user
from portal.extensions import db
from tests.factories import PASSWORD, build_world


@pytest.fixture
def production_like(app, database_url):
    """The portal with default (secure) cookie settings and HSTS on, on the test database."""
    config = {key: app.config[key] for key in ("SECRET_KEY", "KEY_ENCRYPTION_KEY", "UPLOAD_FOLDER",
                                               "PASSWORD_HASH_METHOD", "MAIL_SERVER", "MAIL_PORT")}
    secure = create_app({**config, "DATABASE_URL": database_url, "WTF_CSRF_ENABLED": False, "HSTS": True,
                         "MAIL_DELIVER_AFTER_REQUEST": False,
                         # Not RATELIMIT_ENABLED=False: the limiter is one object for every app in this process,
                         # and switching it off here would switch it off for the rate-limit tests that follow.
                         "RATELIMIT_SIGNIN": "10000 per minute", "RATELIMIT_PUBLIC": "10000 per minute"})
    yield secure
    with secure.app_context():
        db.engine.dispose()


def cookie_header(response, name: str) -> str:
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert found, response.headers.getlist("Set-Cookie")
    return found[-1]


def flags(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


def test_the_session_cookie_is_secure_http_only_and_same_site(app, production_like):
    world = build_world(app)
    client = production_like.test_client()
    response = client.post("/signin", data={"email": world.owner, "password": PASSWORD},
                           base_url="https://portal.test")
    assert response.status_code == 302
    assert {"secure", "httponly", "samesite=lax"} <= flags(cookie_header(response, "session"))
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]


def test_a_remember_cookie_would_carry_the_same_flags_and_cannot_sign_in_alone(app, production_like):
    """Sign-in never sets one; if a future change did, the flags hold and the session record still rules."""
    world = build_world(app)
    with production_like.test_request_context("/", base_url="https://portal.test"):
        login_user(find_user(world.owner), remember=True)
        response = production_like.process_response(production_like.make_response("ok"))
    header = cookie_header(response, "remember_token")
    assert {"secure", "httponly", "samesite=lax"} <= flags(header)
    stranger = production_like.test_client()
    stranger.set_cookie("remember_token", header.split(";")[0].split("=", 1)[1], domain="portal.test", secure=True)
    assert stranger.get("/my", base_url="https://portal.test").status_code == 302


def test_hsts_is_sent_when_turned_on_and_not_otherwise(app, production_like):
    on = production_like.test_client().get("/", base_url="https://portal.test")
    assert on.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers
