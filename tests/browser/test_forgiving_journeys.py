"""Journeys at 390x844 (issue 17): a typo in "Check a product" leads, through a suggestion, to the genuine
verdict of the code; a registration refused at the first submit keeps its receipt for the second. Each writes
its screenshots to docs/screenshots/ (owner-trust-*.png)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.browser.signin import sign_in
from tests.factories import build_world
from tests.support.journeys import receipt_file
from tests.support.scanning import signed_label_uri, verdict_on_server

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shot(page, name: str) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / f"owner-trust-{name}.png"), full_page=True)


def test_a_typo_leads_through_a_suggestion_to_the_genuine_verdict(app, phone, desktop, live_server):
    world = build_world(app)
    gtin, serial = world.gtin_a, world.serials_a[0]
    phone.goto("/lookup")
    phone.get_by_label("GTIN").fill(f"{gtin[:7]} {gtin[7:]}")
    phone.get_by_label("Serial number").fill("acme-001")  # lower case and a digit missing
    phone.get_by_role("button", name="Check").click()
    expect(phone.locator("#answer-title")).to_have_text("No product found")
    main = phone.locator("main")
    expect(main).not_to_contain_text("Not genuine")
    expect(phone.get_by_label("Serial number")).to_have_value("acme-001")  # kept for editing
    assert_accessible(phone)
    shot(phone, "typo-phone")
    phone.get_by_role("link", name=serial).click()
    expect(phone.locator("#answer-title")).to_have_text("This serial is on record")
    expect(main).to_contain_text("Typed numbers cannot prove")
    expect(main).not_to_contain_text("Cannot verify")
    assert_accessible(phone)
    shot(phone, "typed-match-phone")
    expect(phone.get_by_role("link", name="Scan the code to check it")).to_have_attribute("href", "/scan")
    # the code on the product, scanned (its address opened as the scanner does): genuine
    phone.goto(verdict_on_server(signed_label_uri(app, world.unit_ids_a[0]), live_server))
    expect(phone.locator("#verdict-title")).to_have_text("Genuine")
    expect(phone.locator("#sig-check")).to_contain_text("Signature checked on this device")
    assert_accessible(phone)
    shot(phone, "genuine-phone")
    desktop.goto(f"/lookup?gtin={gtin}&serial={serial}")
    expect(desktop.locator("#answer-title")).to_have_text("This serial is on record")
    shot(desktop, "typed-match-desktop")


def test_an_altered_code_shows_no_facts_about_the_unit(app, phone, live_server):
    world = build_world(app)
    uri = signed_label_uri(app, world.unit_ids_a[0])
    signature = uri.split("s=")[1]
    altered = uri.replace(signature, signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:])
    phone.goto(verdict_on_server(altered, live_server))
    expect(phone.locator("#verdict-title")).to_have_text("Not genuine")
    main = phone.locator("main")
    for fact in ("Not registered yet", "Registered to an owner", "Warranty", "Made"):
        expect(main).not_to_contain_text(fact)
    expect(main).to_contain_text("What the code says")
    assert_accessible(phone)
    shot(phone, "altered-phone")


def test_a_refused_registration_keeps_the_receipt_for_the_second_try(app, phone, tmp_path):
    world = build_world(app)
    sign_in(phone, world.owner)
    phone.goto("/my/register")
    phone.get_by_label("GTIN").fill(world.gtin_a)
    phone.get_by_label("Serial number").fill("ACME-9999")  # a serial the maker never made
    phone.get_by_label("Proof of purchase").set_input_files(receipt_file(tmp_path))
    with phone.expect_navigation():
        phone.get_by_role("button", name="Register it as mine").click()
    staged = phone.locator("#proof-staged")
    expect(staged).to_contain_text("receipt.png")
    expect(staged).to_contain_text("kept from your last try")
    expect(phone.get_by_role("button", name="Remove receipt.png")).to_be_visible()
    assert_accessible(phone)
    shot(phone, "register-kept-receipt-phone")
    phone.get_by_label("Serial number").fill(f" {world.serials_a[0].lower()} ".upper())
    with phone.expect_navigation():
        phone.get_by_role("button", name="Register it as mine").click()
    assert re.search(r"/my/units/\d+$", phone.url), phone.url
    expect(phone.locator("main")).to_contain_text("is registered to you")
    # the receipt sent with the first try is the unit's proof of purchase
    proof = phone.context.request.get(phone.url + "/proof")
    assert proof.status == 200 and proof.headers["content-type"].startswith("image/")
    # A registration that passes at once, then Back: the form again (a GET), nothing sent twice
    phone.goto("/my/register")
    phone.get_by_label("GTIN").fill(world.gtin_a)
    phone.get_by_label("Serial number").fill(world.serials_a[1])
    with phone.expect_navigation():
        phone.get_by_role("button", name="Register it as mine").click()
    assert re.search(r"/my/units/\d+$", phone.url), phone.url
    phone.go_back()
    expect(phone.locator("h1")).to_have_text("Register a product")
    expect(phone.get_by_label("Serial number")).to_have_value("")


def test_an_unconfirmed_account_sees_what_to_do_before_the_form(app, phone):
    world = build_world(app)
    sign_in(phone, world.unverified)
    phone.goto("/my/register")
    expect(phone.get_by_role("heading", name="First, confirm your e-mail address")).to_be_visible()
    expect(phone.get_by_label("Serial number")).to_have_count(0)
    assert_accessible(phone)
    shot(phone, "register-unconfirmed-phone")
