"""A failed sign-in, then reload, Back and Forward, in Chromium at 390x844 (issue 17: post-redirect-get
everywhere). The refused POST answers 303 to the form, so no reload or move sends the password again: no second
POST leaves the browser, no dialog offers to resend, the failure is counted once, the refusal is shown once, the
e-mail stays as typed and the password field is empty. Screenshots: docs/screenshots/signin-refused-*.png."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from tests.browser.a11y import assert_accessible
from tests.factories import PASSWORD, build_world

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WRONG = "E-mail address or password is wrong."


def failures(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.failed_signins).where(User.email == email))


def test_a_failed_sign_in_then_reload_never_offers_to_resend(app, phone, desktop):
    world = build_world(app)
    posts, dialogs = [], []
    phone.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    phone.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    phone.goto("/")
    phone.goto("/signin")
    phone.get_by_label("E-mail address").fill(world.owner)
    phone.get_by_label("Password").fill("not my password at all")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Sign in").click()
    assert phone.url.endswith("/signin") and len(posts) == 1
    main = phone.locator("main")
    expect(phone.get_by_role("alert").filter(has_text=WRONG)).to_have_count(1)
    expect(phone.get_by_label("E-mail address")).to_have_value(world.owner)
    expect(phone.get_by_label("Password")).to_have_value("")
    assert_accessible(phone)
    phone.screenshot(path=str(DOCS / "signin-refused-phone.png"), full_page=True)
    assert failures(app, world.owner) == 1

    for move in ("reload", "go_back", "go_forward", "reload"):
        getattr(phone, move)()
        expect(phone.locator("h1")).to_have_text("Sign in")
        expect(phone.get_by_label("E-mail address")).to_have_value(world.owner)
        expect(main).not_to_contain_text(WRONG)  # shown once; a reload tries nothing
        assert len(posts) == 1 and dialogs == [], (move, posts, dialogs)
        assert failures(app, world.owner) == 1

    phone.get_by_label("Password").fill(PASSWORD)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Sign in").click()
    expect(phone.locator("h1")).to_have_text("My products")
    assert len(posts) == 2 and dialogs == [] and failures(app, world.owner) == 0
    phone.reload()  # the signed-in page: nothing to resend either
    assert len(posts) == 2 and dialogs == []

    desktop.goto("/signin")
    desktop.get_by_label("E-mail address").fill("nobody@example.test")
    desktop.get_by_label("Password").fill("a guess")
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="Sign in").click()
    expect(desktop.get_by_role("alert").filter(has_text=WRONG)).to_have_count(1)
    desktop.screenshot(path=str(DOCS / "signin-refused-desktop.png"), full_page=True)
    desktop.reload()
    expect(desktop.get_by_label("E-mail address")).to_have_value("nobody@example.test")
    expect(desktop.get_by_role("alert").filter(has_text=WRONG)).to_have_count(0)
