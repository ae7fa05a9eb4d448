"""A phone (390x844) scans a battery pack's code and reaches its passport; a recycler signs in from the
passport page and sees the restricted fields (docs/passport.md)."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.catalog.queries import unit_with
from tests.browser.a11y import assert_accessible
from tests.factories import PASSWORD
from tests.support.passport import build_battery
from tests.support.scanning import camera_phone, label_video, signed_label_uri, watch_problems

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def test_scanning_a_packs_code_leads_to_its_passport(app, browser, live_server, tmp_path):
    battery = build_battery(app)
    with app.app_context():
        unit_id = unit_with(battery.gtin, battery.serials[0]).id
    code = signed_label_uri(app, unit_id)
    with camera_phone(browser, live_server, label_video(code, tmp_path / "pack.y4m")) as page:
        problems = watch_problems(page)
        page.goto("/scan")
        page.get_by_role("button", name="Start camera").click()
        page.wait_for_url(f"{live_server}/verdict/01/{battery.gtin}/21/{battery.serials[0]}*")
        with page.expect_navigation():
            page.get_by_role("link", name="Product passport").click()
        assert page.url == f"{live_server}{battery.path()}"
        expect(page.get_by_role("heading", level=1)).to_have_text("Volt Pack 500")
        main = page.locator("main")
        expect(main.locator('[data-tier-section="public"]')).to_contain_text("NMC811")
        expect(main.locator('[data-tier-section="legitimate_interest"]')).to_have_count(0)
        expect(main).not_to_contain_text("87.654")  # the pack's state of health is for legitimate interest
        expect(page.get_by_role("link", name="Sign in for restricted fields")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 391, f"the passport page is {width}px wide on a 390px phone"
        assert_accessible(page)
        assert not problems, problems


def test_a_recycler_signs_in_from_the_passport_and_sees_the_restricted_fields(app, phone, live_server):
    battery = build_battery(app)
    phone.goto(battery.path())
    with phone.expect_navigation():
        phone.get_by_role("link", name="Sign in for restricted fields").click()
    phone.get_by_label("E-mail address").fill(battery.recycler)
    phone.get_by_label("Password").fill(PASSWORD)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Sign in").click()
    assert phone.url.startswith(f"{live_server}{battery.path()}")
    restricted = phone.locator('[data-tier-section="legitimate_interest"]')
    expect(restricted).to_contain_text("87.654")
    expect(restricted).to_contain_text("dismantling.pdf")
    expect(phone.locator('[data-tier-section="authority"]')).to_have_count(0)
    expect(phone.locator("[data-tier]")).to_have_attribute("data-tier", "legitimate_interest")
    assert_accessible(phone)
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=SHOTS / "passport-recycler-phone.png")
