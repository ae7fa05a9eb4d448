"""Every insight view with the demo data, at phone (390x844) and desktop size: the page answers 200, shows
its charts and tables, scrolls no sideways on a phone, passes axe, and logs no console error (a CSP violation
included). Full-page screenshots go to test-artifacts/screenshots/insights-<view>-<phone|desktop>.png."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.a11y import assert_accessible
from tests.support.browser import new_context, save_failure_screenshots, serve

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ADMIN = "admin@vautrin.example"
VIEWS = ("", "stock", "sales", "reach", "failures", "forecast", "failures?by=lot", "reach?country=FR")


@pytest.fixture(scope="module")
def demo_site(_app):
    from portal.demo import load_demo
    from portal.extensions import db, limiter
    from portal.insights.refresh import refresh
    from tests.support.db import _wipe

    limiter.reset()
    with _app.app_context():
        load_demo()
        db.session.commit()
        refresh()  # as the worker would: the views read the summary and say how fresh it is
        db.session.commit()
    try:
        with serve(_app) as url:
            yield url
    finally:
        _wipe(_app)


@pytest.fixture(scope="module")
def signed_in(browser, demo_site):
    """One context per size, signed in as Vautrin's admin (password, then the demo authenticator's code)."""
    from portal.accounts.second_factor import code_for, secret_from_text, step_at
    from portal.core.db import utcnow
    from portal.demo import DEMO_TOTP_SECRET, PASSWORD

    made = {}

    def get(kind: str):
        if kind not in made:
            context = new_context(browser, kind, base_url=demo_site)
            response = context.request.post("/signin", form={"email": ADMIN, "password": PASSWORD}, max_redirects=0)
            assert response.status == 302
            secret, here = secret_from_text(DEMO_TOTP_SECRET), step_at(utcnow())
            for step in (here, here + 1, here + 2):  # a code is spent once; the other size may have used now's
                response = context.request.post("/signin/code", form={"code": code_for(secret, step)},
                                                max_redirects=0)
                if response.status == 302:
                    break
            assert response.status == 302, "the code step failed"
            made[kind] = context
        return made[kind]

    yield get
    for context in made.values():
        context.close()


@pytest.mark.parametrize("kind", ["phone", "desktop"])
@pytest.mark.parametrize("view", VIEWS, ids=[v.replace("?", "-") or "index" for v in VIEWS])
def test_insight_view(view: str, kind: str, signed_in):
    page = signed_in(kind).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    path = f"/console/vautrin/insights/{view}"
    try:
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{path}: HTTP {response and response.status}"
        assert page.url.endswith(path)
        if view:
            charts = page.locator("svg.ichart").count()
            assert charts >= 1 and page.locator("table").count() >= charts - 1, "a chart without its table"
            assert page.locator(".how").count() >= 1, "no line says how the figures are computed"
            assert "Data as of" in page.locator(".data-as-of").inner_text()
        name = (view.split("?")[0] or "index") + ("-by-lot" if "by=lot" in view else "") + (
            "-country" if "country=" in view else "")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"insights-{name}-{kind}.png", full_page=True)
        assert_accessible(page)
        if kind == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
                .filter(e => e.getBoundingClientRect().right > 392).slice(0, 3)
                .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
            assert width <= 391, f"{path}: the page is {width}px wide on a 390px phone; wide: {wide}"
        assert not problems, "; ".join(problems)
    except BaseException:
        save_failure_screenshots([page])
        raise
    finally:
        page.close()
