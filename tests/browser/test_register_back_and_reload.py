"""A refused registration, then Back and reload, in Chromium at 390x844 (issue 17: post-redirect-get everywhere).
The refused POST answers 303 to the form, so neither reload nor Back nor Forward can send it again: no second
POST leaves the browser, no dialog asks to resend, no second attempt is stored, and the receipt sent with the
first try is still on the form by name. Screenshots: docs/screenshots/owner-trust-register-refused-*.png."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.core.staging import StagedUpload
from portal.extensions import db
from portal.ownership.models import Ownership
from tests.browser.a11y import assert_accessible
from tests.browser.signin import sign_in
from tests.factories import build_world
from tests.support.journeys import receipt_file

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UNKNOWN = "No unit with GTIN"


def stored(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Ownership)),
                db.session.scalar(select(func.count()).select_from(StagedUpload)))


def test_back_and_reload_after_a_refused_registration_never_send_it_again(app, phone, desktop, tmp_path):
    world = build_world(app)
    sign_in(phone, world.owner)
    posts, dialogs = [], []
    phone.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    phone.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    phone.goto("/my")
    phone.goto("/my/register")
    phone.get_by_label("GTIN").fill(world.gtin_a)
    phone.get_by_label("Serial number").fill("ACME-9999")  # a serial the maker never made
    phone.get_by_label("Where you bought it", exact=True).fill("Boutique Ève")
    phone.get_by_label("Proof of purchase").set_input_files(receipt_file(tmp_path))
    with phone.expect_navigation():
        phone.get_by_role("button", name="Register it as mine").click()
    assert phone.url.endswith("/my/register") and len(posts) == 1
    main = phone.locator("main")
    expect(phone.get_by_role("alert").filter(has_text=UNKNOWN)).to_be_visible()
    expect(phone.get_by_label("Serial number")).to_have_value("ACME-9999")
    expect(phone.get_by_label("Where you bought it", exact=True)).to_have_value("Boutique Ève")
    expect(phone.locator("#proof-staged")).to_contain_text("receipt.png")
    assert_accessible(phone)
    phone.screenshot(path=str(DOCS / "owner-trust-register-refused-phone.png"), full_page=True)
    assert stored(app) == (0, 1)

    for move in ("reload", "go_back", "go_forward", "reload"):
        getattr(phone, move)()
        expect(phone.locator("h1")).to_have_text("Register a product")
        expect(phone.locator("#proof-staged")).to_contain_text("receipt.png")  # still there, by name
        expect(phone.get_by_role("button", name="Remove receipt.png")).to_be_visible()
        expect(phone.get_by_label("Serial number")).to_have_value("ACME-9999")
        expect(main).not_to_contain_text(UNKNOWN)  # the refusal was shown once; nothing was tried again
        assert len(posts) == 1 and dialogs == [], (move, posts, dialogs)
        assert stored(app) == (0, 1)
    phone.screenshot(path=str(DOCS / "owner-trust-register-reloaded-phone.png"), full_page=True)

    # the receipt goes with the corrected serial; Back from the unit page shows a clean form, sends nothing
    phone.get_by_label("Serial number").fill(world.serials_a[0])
    with phone.expect_navigation():
        phone.get_by_role("button", name="Register it as mine").click()
    expect(main).to_contain_text("is registered to you")
    assert stored(app) == (1, 0) and len(posts) == 2
    phone.go_back()
    expect(phone.locator("h1")).to_have_text("Register a product")
    expect(phone.locator("#proof-staged")).to_have_count(0)
    assert len(posts) == 2 and dialogs == [] and stored(app) == (1, 0)

    sign_in(desktop, world.other_owner)
    desktop.goto("/my/register")
    desktop.get_by_label("GTIN").fill(world.gtin_a)
    desktop.get_by_label("Serial number").fill(world.serials_a[0])  # now the first owner's
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="Register it as mine").click()
    expect(desktop.get_by_role("link", name="Open a dispute with the manufacturer")).to_be_visible()
    desktop.screenshot(path=str(DOCS / "owner-trust-register-refused-desktop.png"), full_page=True)
    desktop.reload()
    expect(desktop.get_by_label("Serial number")).to_have_value(world.serials_a[0])
    expect(desktop.get_by_role("link", name="Open a dispute with the manufacturer")).to_have_count(0)


def test_a_refused_claim_then_reload_keeps_the_claim_and_its_photo_and_sends_nothing(app, phone, desktop, tmp_path):
    from portal.warranty.models import WarrantyClaim
    from tests.support.claims import give_unit, photo_file

    world = build_world(app)
    give_unit(app, world.owner, world.unit_ids_a[0])
    with app.app_context():
        ownership_id = db.session.scalar(select(Ownership.id))
    for kind, page in (("phone", phone), ("desktop", desktop)):
        sign_in(page, world.owner)
        posts = []
        page.on("request", lambda r, posts=posts: posts.append(r.url) if r.method == "POST" else None)
        page.goto(f"/my/units/{ownership_id}/claims/new")
        page.get_by_label("Describe the problem").fill("The crown came off after a week.")
        page.get_by_label("Photos (optional)").set_input_files(photo_file(tmp_path))
        with page.expect_navigation():
            page.get_by_role("button", name="File the claim").click()  # no category chosen
        expect(page.get_by_text("Choose what happened from the list.")).to_be_visible()
        expect(page.locator("#photos-staged")).to_contain_text("scratched-case.jpg")
        page.screenshot(path=str(DOCS / f"owner-trust-claim-refused-{kind}.png"), full_page=True)
        page.reload()
        expect(page.get_by_label("Describe the problem")).to_have_value("The crown came off after a week.")
        expect(page.locator("#photos-staged")).to_contain_text("scratched-case.jpg")
        expect(page.get_by_text("Choose what happened from the list.")).to_have_count(0)
        assert len(posts) == 1, posts
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WarrantyClaim)) == 0
        assert db.session.scalar(select(func.count()).select_from(StagedUpload)) == 2  # one per screen
