"""The language switcher in Chromium: keyboard only, no script needed, and the on-phone check follows it."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_scan import on_server, signed_label_uri
from tests.factories import build_world

pytestmark = pytest.mark.browser


def test_a_reader_switches_to_german_with_the_keyboard_and_the_page_and_its_script_follow(app, phone, live_server):
    world = build_world(app)
    phone.goto(on_server(signed_label_uri(app, world.unit_ids_a[0]), live_server))
    expect(phone.locator("#verdict-title")).to_have_text("Genuine")
    expect(phone.locator("html")).to_have_attribute("lang", "en")

    switch = phone.get_by_role("navigation", name="Language").get_by_role("link", name="Deutsch")
    switch.focus()
    phone.keyboard.press("Enter")

    expect(phone.locator("#verdict-title")).to_have_text("Echt")  # the same code, now in German
    expect(phone.locator("html")).to_have_attribute("lang", "de")
    expect(phone.locator("#sig-check")).to_contain_text("Signatur auf diesem Telefon geprüft: Sie passt")
    expect(phone.get_by_role("navigation", name="Sprache").get_by_role("link", name="Deutsch")) \
        .to_have_attribute("aria-current", "true")

    phone.goto("/scan")  # the choice sticks
    expect(phone.get_by_role("button", name="Kamera starten")).to_be_visible()
