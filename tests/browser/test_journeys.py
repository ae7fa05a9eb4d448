"""Owner and staff journeys through the real UI in Chromium: labels to fill, buttons by their names."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.factories import build_world
from tests.browser.signin import sign_in

pytestmark = pytest.mark.browser


def give_unit(app, email: str, unit_id: int, purchased_on: date = date(2025, 6, 1)) -> None:
    """Register a unit to an owner through the services (setup, not the journey under test)."""
    from portal.accounts.services import find_user
    from portal.catalog.models import Unit
    from portal.extensions import db
    from portal.ownership.services import register_unit

    with app.app_context():
        register_unit(find_user(email), db.session.get(Unit, unit_id), purchased_on=purchased_on,
                      retailer="Shop in town")
        db.session.commit()


def open_my_unit(page: Page, model_name: str) -> None:
    page.goto("/my")
    page.get_by_role("link", name=re.compile(model_name)).click()
    expect(page.get_by_role("heading", level=1, name=model_name)).to_be_visible()


def test_sign_up_verify_and_register_with_proof(app, mailbox, phone, live_server, tmp_path):
    from PIL import Image

    from portal.notifications.services import deliver_due

    world = build_world(app)
    receipt = tmp_path / "receipt.png"
    Image.new("RGB", (600, 800), "white").save(receipt)
    email = "new.owner@example.test"

    phone.goto("/")
    phone.get_by_role("link", name="Create a free account").click()
    phone.get_by_label("Your name").fill("Nora New")
    phone.get_by_label("E-mail address").fill(email)
    phone.get_by_label("Password").fill("a long enough password")
    phone.get_by_role("button", name="Create account").click()
    expect(phone.get_by_role("heading", name="My products")).to_be_visible()
    expect(phone.get_by_text("Confirm your e-mail address")).to_be_visible()

    with app.app_context():
        deliver_due()
    body = mailbox.last_to(email).get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/verify/\S+", body).group(0)
    phone.goto(re.sub(r"^https?://[^/]+", live_server, link))
    expect(phone.get_by_text("Your e-mail address is confirmed")).to_be_visible()
    expect(phone.get_by_text("Confirm your e-mail address")).to_have_count(0)

    phone.get_by_role("link", name="Register a product", exact=True).click()
    phone.get_by_label("GTIN").fill(world.gtin_a)
    phone.get_by_label("Serial number").fill(world.serials_a[0])
    phone.get_by_label("Purchase date").fill("2025-06-01")
    phone.get_by_label("Where you bought it").fill("Acme Store, Lyon")
    phone.get_by_label("Proof of purchase").set_input_files(receipt)
    phone.get_by_role("button", name="Register it as mine").click()

    expect(phone.get_by_role("heading", level=1, name="Acme One")).to_be_visible()
    expect(phone.get_by_text("Acme One is registered to you.")).to_be_visible()
    warranty = phone.get_by_role("region", name="Warranty", exact=True)
    expect(warranty).to_contain_text("Covered until")
    expect(warranty).to_contain_text("1 June 2027")
    expect(phone.get_by_role("link", name=re.compile(r"receipt.*\.png|\.png"))).to_be_visible()


def test_transfer_code_moves_the_product(app, phone, new_page):
    world = build_world(app)
    give_unit(app, world.owner, world.unit_ids_a[0])
    seller, buyer = phone, new_page("phone")

    sign_in(seller, world.owner)
    open_my_unit(seller, "Acme One")
    seller.get_by_role("button", name="Create a transfer code").click()
    expect(seller.get_by_role("heading", name="Hand this code to the buyer")).to_be_visible()
    code = seller.locator(".code-box").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9-]{6,}", code), code

    sign_in(buyer, world.other_owner)
    buyer.goto("/transfer")
    buyer.get_by_label("Transfer code").fill(code)
    buyer.get_by_role("button", name="Take it over").click()
    expect(buyer.get_by_text("Acme One is now registered to you.")).to_be_visible()
    buyer.get_by_role("link", name="My products").first.click()
    expect(buyer.get_by_role("heading", level=3, name="Acme One")).to_be_visible()
    expect(buyer.get_by_text(f"Serial {world.serials_a[0]}")).to_be_visible()

    seller.goto("/my")
    expect(seller.get_by_role("heading", name="Nothing registered yet")).to_be_visible()
    expect(seller.get_by_role("heading", level=3, name="Acme One")).to_have_count(0)


def test_stolen_report_shows_on_the_public_page(app, phone):
    world = build_world(app)
    give_unit(app, world.owner, world.unit_ids_a[1])

    sign_in(phone, world.owner)
    open_my_unit(phone, "Acme One")
    phone.get_by_text("Report it stolen").click()
    phone.get_by_label("Where it happened").fill("Lyon, Part-Dieu station")
    phone.get_by_label("What happened").fill("Taken from my bag.")
    phone.get_by_role("button", name="Report stolen", exact=True).click()
    expect(phone.locator(".flash").get_by_text("The unit is reported stolen.")).to_be_visible()
    expect(phone.get_by_role("heading", name="Found it again?")).to_be_visible()

    response = phone.goto(f"/01/{world.gtin_a}/21/{world.serials_a[1]}")
    assert response.status == 200
    expect(phone.locator(".verdict")).to_contain_text("Reported stolen")
    expect(phone.get_by_role("link", name=re.compile("register it"))).to_have_count(0)


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
