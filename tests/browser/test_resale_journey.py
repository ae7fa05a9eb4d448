"""The resale journey on two phones (390x844): the owner makes an ownership proof from the unit page; a buyer
opens it in another browser and sees "Genuine, registered to the seller since ..."; the seller offers the
transfer from the proof, the buyer confirms receipt, and the unit moves. Each page is checked with axe and
screenshotted into docs/screenshots/ (resale-*.png)."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.a11y import assert_accessible
from tests.browser.signin import sign_in
from tests.support.resale import build_sale

pytestmark = pytest.mark.browser

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(DOCS_SHOTS / f"{name}.png"), full_page=True)


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{page.url} scrolls sideways by {overflow}px"


def test_owner_proves_ownership_buyer_checks_and_confirms_receipt(app, new_page):
    sale = build_sale(app)
    seller, buyer = new_page("phone"), new_page("phone")

    # The owner makes a proof from the unit's page.
    sign_in(seller, sale.seller)
    seller.goto(f"/my/units/{sale.ownership_id}")
    card = seller.get_by_role("region", name="Ownership proof for a listing")
    card.get_by_text("Create a proof").click()
    card.get_by_label("Valid for (days)").fill("14")
    card.get_by_label("Masked: only its last characters").check()
    with seller.expect_navigation():
        card.get_by_role("button", name="Create the proof").click()
    expect(seller.get_by_text("Your proof is ready.")).to_be_visible()
    link = seller.locator("#proof-link").input_value()
    path = urlsplit(link).path
    assert re.fullmatch(r"/proof/[A-Za-z0-9_-]{22}", path), link
    expect(seller.locator(".qr svg")).to_be_visible()
    assert_accessible(seller)
    no_sideways_scroll(seller)
    shoot(seller, "resale-owner-proof-phone")

    # A buyer, on another phone, opens the link from the listing.
    buyer.goto(path)
    expect(buyer.locator("#verdict-title")).to_have_text("Genuine, registered to the seller since May 2025")
    expect(buyer.locator("main")).to_contain_text("Not reported stolen")
    expect(buyer.locator("main")).to_contain_text("•••••0001")
    expect(buyer.locator("main")).not_to_contain_text("Zebedee")
    assert_accessible(buyer)
    no_sideways_scroll(buyer)
    shoot(buyer, "resale-proof-phone")

    # Sold: the seller offers the transfer from the proof.
    with seller.expect_navigation():
        seller.get_by_role("button", name="Offer the transfer to the buyer").click()
    code = seller.locator("#transfer-code").inner_text().strip()
    receive_path = urlsplit(seller.locator("#receive-link").input_value())
    seller.reload()  # a GET (post-redirect-get): the same code again, never a new one that voids it
    assert seller.locator("#transfer-code").inner_text().strip() == code
    assert_accessible(seller)
    shoot(seller, "resale-transfer-offered-phone")

    # The buyer signs in, opens the link with the code and confirms receipt: only now does the unit move.
    sign_in(buyer, sale.buyer)
    buyer.goto(f"{receive_path.path}?{receive_path.query}")
    section = buyer.get_by_role("region", name="Bought it? Confirm receipt")
    expect(section.get_by_label("Transfer code")).to_have_value(code)
    assert_accessible(buyer)
    shoot(buyer, "resale-confirm-receipt-phone")
    with buyer.expect_navigation():
        section.get_by_role("button", name="I have received it: confirm").click()
    expect(buyer.get_by_text("Acme One is now registered to you.")).to_be_visible()
    expect(buyer.get_by_role("heading", level=1, name="Acme One")).to_be_visible()

    # The old proof now says first that the unit changed hands.
    seller.goto(path)
    expect(seller.locator("#verdict-title")).to_have_text("Genuine, with a warning")
    expect(seller.locator(".verdict-why")).to_contain_text("changed hands")
    seller.goto("/my")
    expect(seller.locator("main")).not_to_contain_text("ACME-0001")


def test_proof_page_on_a_desktop(app, new_page):
    from tests.support.resale import make_proof

    sale = build_sale(app)
    _, token = make_proof(app, sale, serial_shown="full")
    page = new_page("desktop")
    page.goto(f"/proof/{token}")
    expect(page.locator("#verdict-title")).to_have_text("Genuine, registered to the seller since May 2025")
    assert_accessible(page)
    shoot(page, "resale-proof-desktop")
    french = new_page("phone", locale="fr-FR")
    french.goto(f"/proof/{token}")
    expect(french.locator("#verdict-title")).to_have_text("Authentique, enregistré au nom du vendeur depuis mai 2025")
