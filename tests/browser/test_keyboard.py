"""Journeys with the keyboard alone: Tab and Shift+Tab to move, typing to fill, Enter or Space to act; no clicks.

Going to an address (the e-mail's link, the scanned label's address) is the browser's job, so `goto` stays; every
step on a page is a key press. At the steps that matter the focused element must show its focus ring.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.a11y import assert_accessible
from tests.browser.keyboard import (
    assert_focus_visible,
    sign_in_by_keyboard,
    tab_and_press,
    tab_and_type,
    tab_to,
)
from tests.browser.test_journeys import (
    check_registered,
    give_unit,
    open_certificate,
    receipt_file,
    verdict_shows_stolen,
    verify_link,
)
from tests.browser.test_languages import launch_cell_recall, read_french_answer
from tests.browser.test_recall_journey import OWNED_BIKE
from tests.factories import build_world

pytestmark = pytest.mark.browser


def attach_file_by_keyboard(page: Page, field, path) -> None:
    """Tab to a file field and open its chooser with Space; the chooser gets the file (as a person picks it)."""
    tab_to(page, field)
    assert_focus_visible(page)
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(path)


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_sign_up_to_certificate_by_keyboard(kind, app, mailbox, new_page, live_server, tmp_path):
    world = build_world(app)
    email = "keys.owner@example.test"
    page = new_page(kind)

    page.goto("/")
    tab_and_press(page, page.get_by_role("link", name="Create a free account"), navigates=True)
    tab_and_type(page, page.get_by_label("Your name"), "Kim Keys", check_focus=True)
    tab_and_type(page, page.get_by_label("E-mail address"), email, check_focus=True)
    tab_and_type(page, page.get_by_label("Password"), "a long enough password")
    tab_and_press(page, page.get_by_role("button", name="Create account"), navigates=True)
    expect(page.get_by_role("heading", name="My products")).to_be_visible()

    page.goto(verify_link(app, mailbox, email, live_server))
    expect(page.get_by_text("Your e-mail address is confirmed")).to_be_visible()

    tab_and_press(page, page.get_by_role("link", name="Register a product", exact=True), navigates=True)
    tab_and_type(page, page.get_by_label("GTIN"), world.gtin_a, check_focus=True)
    tab_and_type(page, page.get_by_label("Serial number"), world.serials_a[0])
    tab_to(page, page.get_by_label("Purchase date"))
    assert_focus_visible(page)
    # The date field's order follows Chromium's own language, not the page's: day and month alike type the same
    # in a day-first and a month-first field.
    page.keyboard.type("06062025")
    expect(page.get_by_label("Purchase date")).to_have_value("2025-06-06")
    tab_and_type(page, page.get_by_label("Where you bought it"), "Acme Store, Lyon")
    attach_file_by_keyboard(page, page.get_by_label("Proof of purchase"), receipt_file(tmp_path))
    tab_and_press(page, page.get_by_role("button", name="Register it as mine"), navigates=True)

    check_registered(page, until="6 June 2027")
    link = page.get_by_role("link", name="Warranty certificate (PDF)")
    tab_to(page, link)
    assert_focus_visible(page)
    open_certificate(page, world.serials_a[0], press=lambda: page.keyboard.press("Enter"))


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_recall_lookup_in_french_by_keyboard(kind, app, new_page):
    fleet = launch_cell_recall(app)
    page = new_page(kind)  # an English browser: the reader picks French in the footer
    page.goto("/recalls/lookup")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    tab_and_press(page, page.get_by_role("navigation", name="Language").get_by_role("link", name="Français"),
                  navigates=True)
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    tab_and_type(page, page.get_by_label("GTIN"), fleet.bike_gtin, check_focus=True)
    tab_and_type(page, page.get_by_label("Numéro de série"), OWNED_BIKE, check_focus=True)
    tab_and_press(page, page.get_by_role("button", name="Rechercher les rappels"), navigates=True)
    read_french_answer(page, OWNED_BIKE, recalled=True)

    # Back up the page to the serial field with Shift+Tab, try another bike, and send it with Enter in the field.
    serial = page.get_by_label("Numéro de série")
    tab_to(page, page.get_by_role("button", name="Rechercher les rappels"))
    tab_to(page, serial, back=True)
    assert_focus_visible(page)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("B-009")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    read_french_answer(page, "B-009", recalled=False)


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_transfer_then_stolen_by_keyboard(kind, app, new_page, live_server):
    world = build_world(app)
    unit_id, serial = world.unit_ids_a[0], world.serials_a[0]
    give_unit(app, world.owner, unit_id)
    seller, buyer = new_page(kind), new_page(kind)

    sign_in_by_keyboard(seller, world.owner)
    tab_and_press(seller, seller.get_by_role("navigation", name="Main").get_by_role("link", name="My products"),
                  navigates=True)
    tab_and_press(seller, seller.get_by_role("link", name=re.compile("Acme One")), navigates=True)
    tab_and_press(seller, seller.get_by_role("button", name="Create a transfer code"), navigates=True)
    expect(seller.get_by_role("heading", name="Hand this code to the buyer")).to_be_visible()
    code = seller.locator(".code-box").inner_text().strip()

    sign_in_by_keyboard(buyer, world.other_owner)
    tab_and_press(buyer, buyer.get_by_role("navigation", name="Main").get_by_role("link", name="My products"),
                  navigates=True)
    tab_and_press(buyer, buyer.get_by_role("link", name="I have a transfer code"), navigates=True)
    tab_and_type(buyer, buyer.get_by_label("Transfer code"), code, check_focus=True)
    tab_and_press(buyer, buyer.get_by_role("button", name="Take it over"), navigates=True)
    expect(buyer.get_by_text("Acme One is now registered to you.")).to_be_visible()
    assert_accessible(buyer)

    # The new owner opens the unit and reports it stolen: the <details> opens with Enter on its summary.
    tab_and_press(buyer, buyer.get_by_role("navigation", name="Main").get_by_role("link", name="My products"),
                  navigates=True)
    tab_and_press(buyer, buyer.get_by_role("link", name=re.compile("Acme One")), navigates=True)
    summary = buyer.locator("summary", has_text="Report it stolen")
    tab_and_press(buyer, summary)
    expect(buyer.get_by_label("Where it happened")).to_be_visible()
    tab_and_type(buyer, buyer.get_by_label("Where it happened"), "Lyon, Part-Dieu station", check_focus=True)
    tab_and_type(buyer, buyer.get_by_label("What happened"), "Taken from my bag.", check_focus=True)
    tab_and_press(buyer, buyer.get_by_role("button", name="Report stolen", exact=True), navigates=True)
    expect(buyer.locator(".flash").get_by_text("The unit is reported stolen.")).to_be_visible()
    expect(buyer.get_by_role("heading", name="Found it again?")).to_be_visible()

    seller.goto("/my")
    expect(seller.get_by_role("heading", name="Nothing registered yet")).to_be_visible()
    verdict_shows_stolen(app, seller, live_server, unit_id, world.gtin_a, serial)
    # On the verdict page too, Tab reaches the links with a visible ring.
    tab_to(seller, seller.get_by_role("navigation", name="Language").get_by_role("link", name="Français"))
    assert_focus_visible(seller)
