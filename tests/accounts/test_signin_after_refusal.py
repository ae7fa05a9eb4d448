"""A refused sign-in, and a refused code at its second step, answer 303 to their form (post-redirect-get, issue
17; portal/core/drafts.py): the form's GET shows the refusal once with its 4xx and the e-mail as typed; a reload
shows the e-mail without the refusal; the password and the code are never kept; nothing typed goes into the
address; every failure still counts towards the lockout and the rate limit exactly as when the POST answered."""
from __future__ import annotations

import json

from sqlalchemy import select

from portal.accounts.models import SecondFactor, User
from portal.extensions import db
from tests.factories import PASSWORD, build_world, login, next_code

WRONG = "E-mail address or password is wrong"
GUESS = "guess-Ω-7319-never-kept"


def kept_session(client) -> str:
    """Everything the session cookie carries, as text."""
    with client.session_transaction() as session:
        return json.dumps(dict(session), ensure_ascii=False, default=str)


def failures(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.failed_signins).where(User.email == email))


def test_a_wrong_password_redirects_and_the_form_shows_it_once_with_the_email_as_typed(app, client):
    world = build_world(app)
    typed = world.owner.upper()
    refused = client.post("/signin", query_string={"next": "/recalls"}, data={"email": typed, "password": GUESS})
    assert refused.status_code == 303 and refused.headers["Location"] == "/signin?next=/recalls"
    assert typed not in refused.headers["Location"].upper().replace("/RECALLS", "")
    assert GUESS not in kept_session(client) and typed in kept_session(client)
    assert failures(app, world.owner) == 1  # counted and committed before the redirect
    first = client.get("/signin?next=/recalls")
    html = first.get_data(as_text=True)
    assert first.status_code == 400 and html.count(WRONG) == 1
    assert f'value="{typed}"' in html and GUESS not in html
    again = client.get("/signin?next=/recalls")
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and WRONG not in html and f'value="{typed}"' in html
    assert failures(app, world.owner) == 1  # a reload tries nothing
    # the right password goes on to the `next` kept through the redirect, and the draft goes
    done = client.post("/signin?next=/recalls", data={"email": typed, "password": PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/recalls"
    assert "draft:signin" not in kept_session(client) and failures(app, world.owner) == 0


def test_an_empty_password_also_redirects_with_its_error_on_the_field(app, client):
    world = build_world(app)
    assert client.post("/signin", data={"email": world.owner, "password": ""}).status_code == 303
    page = client.get("/signin")
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and 'aria-invalid="true"' in html and f'value="{world.owner}"' in html
    assert 'aria-invalid="true"' not in client.get("/signin").get_data(as_text=True)


def test_failures_through_the_redirect_still_lock_the_account(app, client):
    world = build_world(app)
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        assert client.post("/signin", data={"email": world.owner, "password": GUESS}).status_code == 303
    right = client.post("/signin", data={"email": world.owner, "password": PASSWORD})
    assert right.status_code == 303  # even the right password: the account cools down
    page = client.get("/signin")
    assert page.status_code == 429 and page.get_data(as_text=True).count("Too many failed sign-ins") == 1
    assert client.get("/my").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.locked_until).where(User.email == world.owner)) is not None


def test_every_refused_post_still_spends_the_rate_limit(app, client):
    app.config["RATELIMIT_SIGNIN"] = "3 per minute"
    try:
        answers = [client.post("/signin", data={"email": f"x{i}@example.test", "password": GUESS}).status_code
                   for i in range(5)]
        pages = [client.get("/signin").status_code for _ in range(2)]  # reading the form spends nothing
    finally:
        app.config["RATELIMIT_SIGNIN"] = "10000 per minute"
    assert answers == [303, 303, 303, 429, 429]
    assert pages == [400, 200]  # the last refusal the form kept, once; the 429s kept nothing


def test_the_sign_in_draft_belongs_to_this_browser_only(app):
    world = build_world(app)
    mine, other = app.test_client(), app.test_client()
    mine.post("/signin", data={"email": world.owner, "password": GUESS})
    html = other.get("/signin").get_data(as_text=True)
    assert world.owner not in html and WRONG not in html


def test_a_wrong_code_redirects_and_shows_it_once_never_keeping_the_code(app, client):
    world = build_world(app)
    email = world.staff_a["admin"]
    login(client, email)  # enrols the test authenticator
    client.post("/signout")
    first = client.post("/signin", data={"email": email, "password": PASSWORD})
    assert first.status_code == 302 and "/signin/code" in first.headers["Location"]
    refused = client.post(first.headers["Location"], data={"code": "123457"})
    assert refused.status_code == 303 and refused.headers["Location"].startswith("/signin/code")
    assert "123457" not in refused.headers["Location"] and "123457" not in kept_session(client)
    with app.app_context():
        factor = db.session.scalar(select(SecondFactor).join(User).where(User.email == email))
        assert factor.failed_codes == 1
    page = client.get(refused.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and html.count("not right") == 1 and "123457" not in html
    reload = client.get(refused.headers["Location"])
    assert reload.status_code == 200 and "not right" not in reload.get_data(as_text=True)
    assert client.get("/console/acme/").status_code == 302  # still not signed in
    right = client.post("/signin/code", data={"code": next_code(app, email)})
    assert right.status_code == 302 and "draft:signin_code" not in kept_session(client)
    assert client.get("/console/acme/").status_code == 200
