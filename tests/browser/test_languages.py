"""The language switcher in Chromium: keyboard only, no script needed, and the on-phone check follows it;
the public recall lookup answered in French."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.factories import build_world
from tests.support.languages import launch_cell_recall, read_french_answer
from tests.support.recall_fleet import OWNED_BIKE
from tests.support.scanning import on_server, signed_label_uri

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
    expect(phone.locator("#sig-check")).to_contain_text("Signatur auf diesem Gerät geprüft: Sie passt")
    expect(phone.get_by_role("navigation", name="Sprache").get_by_role("link", name="Deutsch")) \
        .to_have_attribute("aria-current", "true")

    phone.goto("/scan")  # the choice sticks
    expect(phone.get_by_role("button", name="Kamera starten")).to_be_visible()


# --- The public recall lookup, in French ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_recall_lookup_by_serial_in_french_from_the_browser_language(kind, app, new_page):
    fleet = launch_cell_recall(app)
    page = new_page(kind, locale="fr-FR")  # Accept-Language: fr-FR
    page.goto("/recalls/lookup")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert_accessible(page)
    page.get_by_label("GTIN").fill(fleet.bike_gtin)
    page.get_by_label("Numéro de série").fill(OWNED_BIKE)
    page.get_by_role("button", name="Rechercher les rappels").click()
    read_french_answer(page, OWNED_BIKE, recalled=True)

    page.get_by_label("Numéro de série").fill("B-009")  # lot CELL-B: not recalled
    page.get_by_role("button", name="Rechercher les rappels").click()
    read_french_answer(page, "B-009", recalled=False)
