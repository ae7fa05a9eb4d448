"""Owner and staff journeys through the real UI in Chromium: labels to fill, buttons by their names."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.a11y import assert_accessible
from tests.browser.signin import sign_in
from tests.factories import build_world
from tests.support.journeys import (
    check_registered,
    give_unit,
    open_certificate,
    receipt_file,
    verdict_shows_stolen,
    verify_link,
)

pytestmark = pytest.mark.browser


def open_my_unit(page: Page, model_name: str) -> None:
    page.goto("/my")
    page.get_by_role("link", name=re.compile(model_name)).click()
    expect(page.get_by_role("heading", level=1, name=model_name)).to_be_visible()


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_sign_up_verify_and_register_with_proof(kind, app, mailbox, new_page, live_server, tmp_path):
    world = build_world(app)
    receipt = receipt_file(tmp_path)
    email = "new.owner@example.test"
    page = new_page(kind)

    page.goto("/")
    assert_accessible(page)
    page.get_by_role("link", name="Create a free account").click()
    assert_accessible(page)
    page.get_by_label("Your name").fill("Nora New")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    # Sign-up signs nobody in and answers alike for a known address (docs/security.md): the e-mail says which.
    expect(page.get_by_text("We sent you an e-mail: follow its link to confirm your address.")).to_be_visible()
    assert_accessible(page)

    page.goto(verify_link(app, mailbox, email, live_server))
    expect(page.get_by_text("Your e-mail address is confirmed")).to_be_visible()
    assert_accessible(page)
    sign_in(page, email, "a long enough password")
    expect(page.get_by_role("heading", name="My products")).to_be_visible()
    expect(page.get_by_text("Confirm your e-mail address")).to_have_count(0)

    page.get_by_role("link", name="Register a product", exact=True).click()
    expect(page.get_by_label("GTIN")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("GTIN").fill(world.gtin_a)
    page.get_by_label("Serial number").fill(world.serials_a[0])
    page.get_by_label("Purchase date").fill("2025-06-01")
    page.get_by_label("Where you bought it", exact=True).fill("Acme Store, Lyon")
    page.get_by_label("Proof of purchase").set_input_files(receipt)
    page.get_by_role("button", name="Register it as mine").click()

    check_registered(page)
    open_certificate(page, world.serials_a[0])


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_transfer_to_a_new_owner_who_reports_it_stolen(kind, app, new_page, live_server):
    world = build_world(app)
    unit_id, serial = world.unit_ids_a[0], world.serials_a[0]
    give_unit(app, world.owner, unit_id)
    seller, buyer = new_page(kind), new_page(kind)

    sign_in(seller, world.owner)
    open_my_unit(seller, "Acme One")
    assert_accessible(seller)
    seller.get_by_role("button", name="Create a transfer code").click()
    expect(seller.get_by_role("heading", name="Hand this code to the buyer")).to_be_visible()
    assert_accessible(seller)
    code = seller.locator(".code-box").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9-]{6,}", code), code

    sign_in(buyer, world.other_owner)
    buyer.goto("/transfer")
    assert_accessible(buyer)
    buyer.get_by_label("Transfer code").fill(code)
    buyer.get_by_role("button", name="Take it over").click()
    expect(buyer.get_by_text("Acme One is now registered to you.")).to_be_visible()
    assert_accessible(buyer)
    buyer.get_by_role("link", name="My products").first.click()
    expect(buyer.get_by_role("heading", level=3, name="Acme One")).to_be_visible()
    expect(buyer.get_by_text(f"Serial {serial}")).to_be_visible()
    assert_accessible(buyer)

    seller.goto("/my")
    expect(seller.get_by_role("heading", name="Nothing registered yet")).to_be_visible()
    expect(seller.get_by_role("heading", level=3, name="Acme One")).to_have_count(0)
    assert_accessible(seller)

    # The new owner reports it stolen; the verdict page says so to anyone.
    open_my_unit(buyer, "Acme One")
    buyer.get_by_text("Report it stolen").click()
    buyer.get_by_label("Where it happened").fill("Lyon, Part-Dieu station")
    buyer.get_by_label("What happened").fill("Taken from my bag.")
    assert_accessible(buyer)
    buyer.get_by_role("button", name="Report stolen", exact=True).click()
    expect(buyer.locator(".flash").get_by_text("The unit is reported stolen.")).to_be_visible()
    expect(buyer.get_by_role("heading", name="Found it again?")).to_be_visible()
    assert_accessible(buyer)
    verdict_shows_stolen(app, seller, live_server, unit_id, world.gtin_a, serial)


def test_staff_find_a_unit_in_the_console(app, desktop):
    world = build_world(app)
    sign_in(desktop, world.staff_a["admin"])
    desktop.get_by_role("navigation", name="Main").get_by_role("link", name="Console").click()
    expect(desktop.get_by_role("heading", level=1, name="Overview")).to_be_visible()
    expect(desktop.get_by_text("Acme Watches · console")).to_be_visible()

    desktop.get_by_role("navigation", name="Console").get_by_role("link", name="Units").click()
    expect(desktop.get_by_role("heading", level=1, name="Units")).to_be_visible()
    desktop.get_by_label("Serial starts with").fill(world.serials_a[1])
    desktop.get_by_role("button", name="Search").click()
    results = desktop.locator("table.data tbody tr")
    expect(results).to_have_count(1)
    desktop.get_by_role("link", name=world.serials_a[1]).click()

    expect(desktop.get_by_role("heading", level=1, name=world.serials_a[1])).to_be_visible()
    expect(desktop.get_by_text(world.gtin_a)).to_be_visible()
    expect(desktop.get_by_role("heading", name="Events")).to_be_visible()


def test_sign_in_form_by_keyboard_with_visible_focus(app, phone):
    phone.goto("/signin")
    expected = [("INPUT", "email"), ("INPUT", "password"), ("BUTTON", "Sign in")]
    seen = []
    for _ in range(15):
        phone.keyboard.press("Tab")
        seen.append(phone.evaluate("() => [document.activeElement.tagName, document.activeElement.type,"
                                   " document.activeElement.textContent.trim()]"))
        if seen[-1][:2] == ["INPUT", "email"]:
            break
    else:
        pytest.fail(f"Tab never reached the e-mail field; focus went through {seen}")

    for tag, what in expected:
        if tag != "INPUT" or what != "email":
            phone.keyboard.press("Tab")
        focused = phone.evaluate("""() => {
            const el = document.activeElement, style = getComputedStyle(el);
            return {tag: el.tagName, type: el.type, text: el.textContent.trim(), label: el.labels?.[0]?.textContent.trim(),
                    outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth)};
        }""")
        assert focused["tag"] == tag, focused
        assert what in (focused["type"], focused["text"]), focused
        assert focused["outlineStyle"] != "none" and focused["outlineWidth"] > 0, f"no visible focus: {focused}"
