"""Sign-up with e-mail verification, sign-in throttling, password reset through the outbox and real SMTP."""

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from portal.notifications.models import DeliveryState, Notification
from portal.notifications.services import deliver_due
from tests.factories import PASSWORD, build_world, login
from tests.support.forms import shown
from tests.support.mail import deliver, link_in


def test_sign_up_sends_a_verification_mail_whose_link_verifies_the_address(app, client, mailbox):
    response = client.post("/signup", data={"name": "Nina", "email": "Nina@Example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert deliver(app) == 1
    mail = mailbox.last_to("nina@example.test")
    assert "Confirm your e-mail address" in mail["Subject"]
    assert mail["Message-ID"].startswith("<notification-")
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "nina@example.test")).email_verified_at is None
    assert client.get(link_in(mail, "/verify/")).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "nina@example.test")).email_verified_at is not None


def test_password_is_stored_with_a_memory_hard_kdf_not_in_clear(app, client):
    client.post("/signup", data={"email": "kdf@example.test", "password": PASSWORD})
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).where(User.email == "kdf@example.test"))
    assert stored.startswith("scrypt:") and PASSWORD not in stored


@pytest.mark.parametrize("data, message", [
    ({"email": "not-an-address", "password": PASSWORD}, "valid e-mail"),
    ({"email": "short@example.test", "password": "short"}, "at least 10"),
])
def test_sign_up_with_bad_input_is_refused_with_a_message(app, client, data, message):
    refused = client.post("/signup", data=data)
    assert refused.status_code == 303 and refused.headers["Location"].endswith("/signup")  # post-redirect-get
    response = shown(client, refused)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and f'value="{data["email"]}"' in page  # the address as typed, the password never
    assert f'value="{data["password"]}"' not in page
    again = client.get("/signup")  # a reload shows the form as typed, the refusal once
    assert again.status_code == 200 and message not in again.get_data(as_text=True)
    with client.session_transaction() as kept:
        assert "password" not in kept["draft:signup"]["v"]  # the draft keeps what was typed but the password
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == data["email"])) is None


def test_a_refused_reset_request_answers_303_and_shows_its_refusal_once(client):
    refused = client.post("/reset", data={"email": ""})
    assert refused.status_code == 303 and refused.headers["Location"].endswith("/reset")
    page = shown(client, refused)
    assert page.status_code == 400 and "This field is required." in page.get_data(as_text=True)
    reload = client.get("/reset")
    assert reload.status_code == 200 and "This field is required." not in reload.get_data(as_text=True)


def test_sign_up_with_a_taken_address_answers_as_for_a_new_one(app, client):
    """Issue 19: saying "already exists" told strangers who has an account (tests/security/test_enumeration.py)."""
    world = build_world(app)
    response = client.post("/signup", data={"email": world.owner, "password": PASSWORD})
    assert response.status_code == 302
    assert "already exists" not in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_forged_verification_link_is_refused(app, client):
    response = client.get("/verify/not-a-real-token")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_sign_in_and_sign_out(app, client):
    world = build_world(app)
    login(client, world.owner)
    assert client.get("/my").status_code == 200
    client.post("/signout")
    assert client.get("/my").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(app, client):
    world = build_world(app)
    wrong = shown(client, client.post("/signin", data={"email": world.owner, "password": "wrong password!"}))
    unknown = shown(client, client.post("/signin", data={"email": "nobody@example.test",
                                                          "password": "wrong password!"}))
    assert wrong.status_code == unknown.status_code == 400
    assert "E-mail address or password is wrong" in wrong.get_data(as_text=True)
    assert "E-mail address or password is wrong" in unknown.get_data(as_text=True)


def test_repeated_failures_cool_the_account_down_even_with_the_right_password(app, client):
    world = build_world(app)
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        client.post("/signin", data={"email": world.owner, "password": "guess guess guess"})
    response = shown(client, client.post("/signin", data={"email": world.owner, "password": PASSWORD}))
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.get_data(as_text=True)


def test_sign_in_is_rate_limited_per_address(app, client):
    app.config["RATELIMIT_SIGNIN"] = "3 per minute"
    try:
        codes = [shown(client, client.post("/signin", data={"email": f"x{i}@example.test",
                                                            "password": "whatever123"})).status_code
                 for i in range(5)]
    finally:
        app.config["RATELIMIT_SIGNIN"] = "10000 per minute"
    assert codes[:3] == [400, 400, 400]
    assert codes[3:] == [429, 429]


def test_password_reset_by_mail_works_once_and_ends_old_sessions(app, mailbox):
    world = build_world(app)
    old_session, client = app.test_client(), app.test_client()
    login(old_session, world.owner)
    assert client.post("/reset", data={"email": world.owner}).status_code == 302
    deliver(app)
    path = link_in(mailbox.last_to(world.owner), "/reset/")
    new_password = "a brand new passphrase"
    assert client.post(path, data={"password": new_password, "confirm": new_password}).status_code == 302
    assert client.post("/signin", data={"email": world.owner, "password": new_password}).status_code == 302
    again = client.post(path, data={"password": "yet another phrase", "confirm": "yet another phrase"})
    assert again.status_code == 303 and again.headers["Location"].endswith(path)
    shown_again = shown(client, again)
    assert shown_again.status_code == 400 and "already been used" in shown_again.get_data(as_text=True)
    assert "yet another phrase" not in shown_again.get_data(as_text=True)
    with client.session_transaction() as kept:
        assert "yet another phrase" not in str(dict(kept))  # a password is never kept in the draft
    assert old_session.get("/my").status_code == 302  # signed out by the password change


def test_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(app, client, mailbox):
    response = client.post("/reset", data={"email": "ghost@example.test"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Notification)) is None


def test_undeliverable_mail_is_retried_later_then_given_up(app, client):
    world = build_world(app)
    client.post("/reset", data={"email": world.owner})
    app.config["MAIL_PORT"], port = 1, app.config["MAIL_PORT"]
    try:
        with app.app_context():
            assert deliver_due() == 0
            note = db.session.scalar(select(Notification))
            assert note.state is DeliveryState.PENDING and note.attempts == 1 and note.last_error
            assert deliver_due() == 0  # not due yet: backoff
            assert db.session.get(Notification, note.id).attempts == 1
    finally:
        app.config["MAIL_PORT"] = port


def test_forms_refuse_a_post_without_csrf_token(app, client):
    build_world(app)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/signin", data={"email": "owner@example.test", "password": PASSWORD})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert "form has expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "//evil.example", "https://evil.example/",
                                    "/\\evil.example", "evil"])
def test_signing_in_never_follows_a_next_address_off_this_site(app, client, target):
    world = build_world(app)
    response = client.post("/signin", query_string={"next": target},
                           data={"email": world.owner, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/my"


def test_signing_in_follows_a_next_path_on_this_site(app, client):
    world = build_world(app)
    response = client.post("/signin", query_string={"next": "/recalls?x=1"},
                           data={"email": world.owner, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/recalls?x=1"
