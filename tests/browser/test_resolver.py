"""A phone (390x844) scanning codes that are not one signed unit: a GTIN-only code opens the public product
page, and a compressed signed label still opens its verdict (docs/resolver.md)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.factories import build_world
from tests.support.scanning import camera_phone, label_video, signed_label_uri, watch_problems

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def test_a_gtin_only_code_opens_the_product_page(app, browser, live_server, tmp_path):
    world = build_world(app)
    code = f"http://portal.test/01/{world.gtin_a}"  # as printed on packaging: no serial, no signature
    with camera_phone(browser, live_server, label_video(code, tmp_path / "gtin.y4m")) as page:
        problems = watch_problems(page)
        page.goto("/scan")
        page.get_by_role("button", name="Start camera").click()
        page.wait_for_url(f"{live_server}/product/01/{world.gtin_a}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Acme One")
        main = page.locator("main")
        expect(main).to_contain_text("Acme Watches")
        expect(main).to_contain_text("No open recall affects this product.")
        expect(main).to_contain_text("24 months from the date of purchase")
        expect(page.get_by_role("link", name="Check a serial number: scan its code")).to_have_attribute("href", "/scan")
        expect(page.get_by_role("link", name="Register yours")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 391, f"the product page is {width}px wide on a 390px phone"
        assert_accessible(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "product-page-phone.png", full_page=True)
        assert not problems, problems


def test_a_lot_code_opens_the_product_page_of_that_lot(app, phone, live_server):
    world = build_world(app)
    phone.goto(f"/01/{world.gtin_a}/10/L1")
    assert re.search(rf"/product/01/{world.gtin_a}/10/L1$", phone.url)
    expect(phone.locator("main")).to_contain_text("No open recall affects this lot.")


def test_a_compressed_signed_label_opens_its_verdict(app, browser, live_server, tmp_path):
    world = build_world(app)
    signed_label_uri(app, world.unit_ids_a[0])  # makes the key and the label
    with app.app_context():
        from portal.authenticity.labels import current_label, label_uri
        from portal.catalog.models import Unit
        from portal.extensions import db

        unit = db.session.get(Unit, world.unit_ids_a[0])
        code = label_uri(unit.model.gtin, unit.serial, current_label(unit), compressed=True)
    assert "/01/" not in code
    with camera_phone(browser, live_server, label_video(code, tmp_path / "compressed.y4m")) as page:
        problems = watch_problems(page)
        page.goto("/scan")
        page.get_by_role("button", name="Start camera").click()
        page.wait_for_url(re.compile(rf"/verdict/01/{world.gtin_a}/21/{world.serials_a[0]}\?n=1&k="))
        expect(page.locator("#verdict-title")).to_have_text("Genuine")
        expect(page.locator("main")).to_contain_text("Signature checked on this device")
        assert not problems, problems
