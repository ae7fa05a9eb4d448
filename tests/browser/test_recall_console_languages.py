"""The recall console in French and German on a 390px phone: long words ("Rückrufverantwortlicher",
"Korrekturmaßnahmen") wrap inside the page, nothing scrolls sideways, and the campaign page stays
accessible. Screenshots go to test-artifacts/screenshots/recalls-<lang>-<page>-<phone|desktop>.png for a person to look at."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.browser.signin import sign_in
from tests.support.recall_desk import ADMIN, build_desk

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
HEADINGS = {"fr": "Échéances légales", "de": "Gesetzliche Fristen"}


@pytest.fixture
def desk(app) -> dict:
    return build_desk(app)


@pytest.mark.parametrize("language", ["fr", "de"])
def test_recall_console_pages_fit_a_phone_in_french_and_german(desk, new_page, language):
    page = new_page("phone")
    sign_in(page, ADMIN)
    page.goto(f"/language/{language}")
    base = "/console/ebike/recalls"
    pages = {"campaign": f"{base}/{desk['active']}", "draft": f"{base}/{desk['draft']}", "new": f"{base}/new",
             "reports": f"{base}/{desk['active']}/reports", "report": f"{base}/{desk['active']}/reports/cpsc-fast-track",
             "close": f"{base}/{desk['active']}/close", "list": base}
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in pages.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        expect(page.locator("html")).to_have_attribute("lang", language)
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=SHOTS / f"recalls-{language}-{name}-phone.png", full_page=True)
        assert width <= 390 + 1, f"{path}: the page is {width}px wide on a 390px phone (sideways scrolling)"
    page.goto(pages["reports"])
    expect(page.get_by_role("heading", name=HEADINGS[language])).to_be_visible()
    page.goto(pages["campaign"])
    assert_accessible(page)
    wide = new_page("desktop", storage_state=page.context.storage_state())  # the same session (a code is used once)
    for name in ("campaign", "report"):
        wide.goto(pages[name])
        wide.screenshot(path=SHOTS / f"recalls-{language}-{name}-desktop.png", full_page=True)
