"""Every main page with the demo data, at phone and desktop size: full-page screenshots for people to look at,
and the checks a screenshot cannot show by itself: no sideways scrolling on a phone, no console errors (CSP
violations included), the HTTP status the page should have.

Screenshots go to test-artifacts/screenshots/<page>-<phone|desktop>.png, and the key screens also to
docs/screenshots/, which the README shows. With PORTAL_SCREENSHOT_SCHEME=dark
the pages are rendered in dark mode and saved as <page>-<phone|desktop>-dark.png.

The demo data loads once for this module (about 2 s); each signed-in person gets one context per size.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.a11y import assert_accessible
from tests.support.browser import new_context, save_failure_screenshots, serve
from tests.support.screens import SHOTS

pytestmark = pytest.mark.browser

#: The key screens, copied to docs/screenshots/ on every light-scheme run; the README shows them.
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
KEY_SCREENS = {("verdict-genuine", "phone"), ("public-unit-stolen", "phone"), ("my-products", "phone"),
               ("my-unit", "phone"), ("lookup", "phone"), ("scan", "phone"), ("console-overview", "desktop"),
               ("console-claims", "desktop"), ("console-unit", "desktop"), ("verdict-genuine", "desktop")}
SCHEME = os.environ.get("PORTAL_SCREENSHOT_SCHEME", "light")
ALICE, ADMIN, PLATFORM = "alice@example.com", "admin@vautrin.example", "platform@provenance.example"


@dataclass(frozen=True)
class Demo:
    watch_gtin: str
    stolen_bike_gtin: str
    alice_watch_ownership: int
    watch_unit: int
    signed_watch_path: str  # the printed label's code, as a path on this site


@dataclass(frozen=True)
class Shot:
    name: str
    path: Callable[[Demo], str] | str
    user: str | None = None
    status: int = 200
    act: Callable[[Page], object] | None = None  # what to do on the page before the checks (returns a response)


def register_with_a_bad_gtin(page: Page):
    page.get_by_label("GTIN").fill("07612345000012")  # wrong check digit
    page.get_by_label("Serial number").fill("VC42-000018")
    page.get_by_label("Purchase date").fill("2025-03-14")
    # the POST answers 303 (post-redirect-get, portal/core/drafts.py); the form it leads to carries the 422
    with page.expect_response(lambda r: r.request.method == "GET" and r.request.redirected_from is not None) as posted:
        page.get_by_role("button", name="Register it as mine").click()
    page.wait_for_load_state()
    expect(page.locator(".field .error")).to_be_visible()
    return posted.value


PAGES = [
    Shot("home", "/"),
    Shot("lookup", "/lookup"),
    Shot("public-unit", lambda d: f"/01/{d.watch_gtin}/21/VC42-000017"),
    Shot("verdict-genuine", lambda d: d.signed_watch_path),
    Shot("scan", "/scan"),
    Shot("recalls-active", "/recalls"),
    Shot("public-unit-stolen", lambda d: f"/01/{d.stolen_bike_gtin}/21/TX1-25-00007"),
    Shot("signin", "/signin"),
    Shot("signup", "/signup"),
    Shot("my-products", "/my", ALICE),
    Shot("my-unit", lambda d: f"/my/units/{d.alice_watch_ownership}", ALICE),
    Shot("register-error", "/my/register", ALICE, status=422, act=register_with_a_bad_gtin),
    Shot("my-account", "/my/account", ALICE),
    Shot("account-sessions", "/account/sessions", ALICE),
    Shot("second-factor-setup", "/account/second-factor", ALICE),
    Shot("second-factor-staff", "/account/second-factor", ADMIN),
    Shot("console-overview", "/console/vautrin/", ADMIN),
    Shot("console-units", "/console/vautrin/units", ADMIN),
    Shot("console-unit", lambda d: f"/console/vautrin/units/{d.watch_unit}", ADMIN),
    Shot("console-import", "/console/vautrin/import", ADMIN),
    Shot("console-claims", "/console/vautrin/claims", ADMIN),
    Shot("console-quality", "/console/vautrin/quality", ADMIN),
    Shot("console-recalls", "/console/vautrin/recalls", ADMIN),
    Shot("console-team", "/console/vautrin/team", ADMIN),
    Shot("platform-tenants", "/admin/tenants", PLATFORM),
    Shot("not-found", "/no/such/page", status=404),
]


@pytest.fixture(scope="module")
def demo(_app):
    """The demo data, loaded once for the module and wiped after it."""
    from sqlalchemy import select

    from portal.accounts.services import find_user
    from portal.authenticity.labels import current_label, label_uri
    from portal.catalog.services import find_unit
    from portal.demo import gtin_for, load_demo
    from portal.extensions import db, limiter
    from portal.ownership.models import Ownership
    from tests.support.db import _wipe

    limiter.reset()
    with _app.app_context():
        load_demo()
        db.session.commit()
        watch = find_unit(gtin_for("7612345", 1), "VC42-000017")
        ownership_id = db.session.scalar(select(Ownership.id).where(
            Ownership.unit_id == watch.id, Ownership.owner_id == find_user(ALICE).id, Ownership.until.is_(None)))
        label = current_label(watch)
        signed = urlsplit(label_uri(watch.model.gtin, watch.serial, label))
        info = Demo(watch_gtin=watch.model.gtin, stolen_bike_gtin=gtin_for("4061234", 11),
                    alice_watch_ownership=ownership_id, watch_unit=watch.id,
                    signed_watch_path=f"{signed.path}?{signed.query}")
    try:
        yield info
    finally:
        _wipe(_app)


@pytest.fixture(scope="module")
def demo_server(_app, demo):
    with serve(_app) as url:
        yield url


@pytest.fixture(scope="module")
def contexts(browser, demo_server):
    """contexts(kind, user): one browser context per size and person, signed in once, kept for the module."""
    from portal.demo import PASSWORD

    made = {}

    def get(kind: str, user: str | None):
        from portal.accounts.second_factor import code_for, secret_from_text, step_at
        from portal.core.db import utcnow
        from portal.demo import DEMO_TOTP_SECRET

        if (kind, user) not in made:
            context = new_context(browser, kind, base_url=demo_server, color_scheme=SCHEME)
            if user:
                response = context.request.post("/signin", form={"email": user, "password": PASSWORD},
                                                max_redirects=0)
                assert response.status == 302, f"sign-in of {user} failed: {response.status}"
                if "/signin/code" in response.headers["location"]:  # staff: the demo authenticator's code
                    secret, here = secret_from_text(DEMO_TOTP_SECRET), step_at(utcnow())
                    for step in (here, here + 1):  # now's code may be spent by the other screen size
                        response = context.request.post("/signin/code", form={"code": code_for(secret, step)},
                                                        max_redirects=0)
                        if response.status == 302:
                            break
                    assert response.status == 302, f"code step of {user} failed: {response.status}"
            made[kind, user] = context
        return made[kind, user]

    yield get
    for context in made.values():
        context.close()


@pytest.mark.parametrize("kind", ["phone", "desktop"])
@pytest.mark.parametrize("shot", PAGES, ids=[s.name for s in PAGES])
def test_page(shot: Shot, kind: str, demo, contexts):
    page = contexts(kind, shot.user).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text} ({msg.location.get('url')})")
            if msg.type == "error" else None)
    try:
        path = shot.path(demo) if callable(shot.path) else shot.path
        response = page.goto(path)
        if shot.act:
            response = shot.act(page)
        page.wait_for_load_state("load")
        assert response is not None
        assert response.status == shot.status, f"{path}: HTTP {response.status}, expected {shot.status}"
        if shot.status < 400:
            assert response.status < 400
        assert page.url.endswith(path), f"{path} ended on {page.url}"  # e.g. not bounced to the sign-in page

        SHOTS.mkdir(parents=True, exist_ok=True)
        suffix = "" if SCHEME == "light" else f"-{SCHEME}"
        page.screenshot(path=SHOTS / f"{shot.name}-{kind}{suffix}.png", full_page=True)
        if SCHEME == "light" and (shot.name, kind) in KEY_SCREENS:
            DOCS.mkdir(parents=True, exist_ok=True)
            # Phone screens as the phone shows them (the first screenful); desktop pages whole.
            page.screenshot(path=DOCS / f"{shot.name}-{kind}.png", full_page=kind == "desktop")

        assert_accessible(page)
        if kind == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390 + 1, f"{path}: the page is {width}px wide on a 390px phone (sideways scrolling)"

        # Chromium reports the document's own 4xx status as a console error; that one is expected here.
        expected_failure = f"the server responded with a status of {shot.status}"
        problems = [p for p in problems if not (shot.status >= 400 and expected_failure in p)]
        assert not problems, f"{path}: " + "; ".join(problems)
    except BaseException:
        save_failure_screenshots([page])  # the module's contexts outlive the test: shoot the page before it closes
        raise
    finally:
        page.close()
