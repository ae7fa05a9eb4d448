"""Signing in through the real pages, second factor included, for every browser journey."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from portal.accounts.second_factor import code_for, secret_from_text, step_at
from portal.core.db import utcnow
from tests.browser.a11y import assert_accessible
from tests.factories import PASSWORD, TOTP_SECRET


def _codes(secret: bytes) -> list[str]:
    """Now's code first, then the next step's: now's may already be spent by an earlier sign-in."""
    here = step_at(utcnow())
    return [code_for(secret, here), code_for(secret, here + 1)]


def sign_in(page: Page, email: str, password: str = PASSWORD, secret: bytes = TOTP_SECRET) -> None:
    """Password, then the code step (staff) or the enrolment with the shown key (staff not enrolled yet).

    Each of these pages is checked with axe once it has loaded, as every page of a journey is.
    """
    page.goto("/signin")
    assert_accessible(page)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if "/signin/code" in page.url:
        assert_accessible(page)
        for code in _codes(secret):
            page.get_by_label("Code").fill(code)
            with page.expect_navigation():
                page.get_by_role("button", name="Continue").click()
            if "/signin/code" not in page.url:
                break
    elif "/account/second-factor" in page.url:
        assert_accessible(page)
        shown = secret_from_text(page.locator("#totp-secret").inner_text())
        page.get_by_label("Code from the app").fill(code_for(shown, step_at(utcnow())))
        with page.expect_navigation():
            page.get_by_role("button", name="Confirm").click()
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        assert_accessible(page)
        page.get_by_role("link", name="I have saved them: continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
