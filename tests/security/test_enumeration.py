"""Neither sign-up nor sign-in tells a stranger which e-mail addresses have an account."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.extensions import db
from portal.notifications.services import deliver_due
from tests.factories import PASSWORD, build_world
from tests.support.forms import shown


def _answer(client, response) -> tuple:
    """What the person signing up sees: the status, where it sends them, and that page's text."""
    follow = client.get(response.headers.get("Location", "/"))
    text = re.sub(r'name="csrf_token"[^>]*>', "", follow.get_data(as_text=True))
    text = re.sub(r'data-rendered-at="[^"]*"', "", text)  # the second the page was made, whoever asked
    return response.status_code, response.headers.get("Location"), follow.status_code, text


def test_sign_up_answers_the_same_for_a_new_a_known_and_an_unconfirmed_address(app, mailbox):
    world = build_world(app)
    answers = {}
    for label, email in (("new", "fresh@example.test"), ("known", world.owner), ("unconfirmed", world.unverified)):
        client = app.test_client()
        answers[label] = _answer(client, client.post("/signup", data={"email": email, "password": PASSWORD}))
    assert answers["new"] == answers["known"] == answers["unconfirmed"]
    assert answers["new"][0] == 302 and "already exists" not in answers["new"][3]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.email == world.owner)) == 1
        deliver_due()
    # The e-mail says what the page cannot: a reset link for the known address, the confirmation again
    # for the unconfirmed one, a first confirmation for the new one.
    assert "reset" in mailbox.last_to(world.owner)["Subject"].lower()
    assert "Confirm your e-mail address" in mailbox.last_to(world.unverified)["Subject"]
    assert "Confirm your e-mail address" in mailbox.last_to("fresh@example.test")["Subject"]


def test_sign_up_does_not_change_the_known_account(app):
    world = build_world(app)
    app.test_client().post("/signup", data={"email": world.owner, "password": "another long password"})
    signin = app.test_client().post("/signin", data={"email": world.owner, "password": PASSWORD})
    assert signin.status_code == 302


def _failures(app, email: str) -> list[tuple[int, str]]:
    client = app.test_client()
    out = []
    for _ in range(app.config["SIGNIN_MAX_FAILURES"] + 2):
        response = shown(client, client.post("/signin", data={"email": email, "password": "wrong guess, again"}))
        body = response.get_data(as_text=True)
        message = re.search(r'class="(?:field-)?error[^"]*"[^>]*>([^<]+)<', body)
        out.append((response.status_code, message.group(1).strip() if message else body.count("wrong")))
    return out


def test_the_lockout_answers_the_same_for_an_unknown_address(app):
    world = build_world(app)
    known, unknown = _failures(app, world.owner), _failures(app, "nobody@example.test")
    assert [code for code, _ in known] == [code for code, _ in unknown]
    assert known == unknown
    assert known[-1][0] == 429
