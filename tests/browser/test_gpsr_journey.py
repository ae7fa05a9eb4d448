"""A GPSR recall through the real UI in Chromium (issue 16's journey).

The recall manager's draft without the hazard (Art. 36(2)(c)) is refused, then completed with every element
of the notice and launched; a safety-only contact registered on the public page is reached; the owner gets
the GPSR notice e-mail, opens its link straight to her notice, chooses a remedy, changes it and sees it kept;
a service partner records the remedy and completion moves; the manager exports the regulator reports and the
PDF's text is read back.
"""
from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.a11y import assert_accessible
from tests.browser.signin import sign_in
from tests.factories import FLEET_PREFIX, PASSWORD, build_bike_fleet

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"gpsr-{name}.png"), full_page=True)

TENANT, NUMBER, TITLE = "ebike", "R-2026-016", "Battery cells can overheat"
MANAGER, PARTNER, OWNER, CONTACT = ("recalls@ebike.test", "partner@ebike.test", "rider@example.test",
                                    "neighbour@example.test")


def fleet(app) -> str:
    """The bike fleet (bikes hold packs hold cells; CELL-A in bikes 1-4), staff, and the owner of B-001."""
    from portal.accounts.models import Role
    from portal.accounts.services import add_staff, create_user
    from portal.catalog.services import find_unit
    from portal.demo import gtin_for
    from portal.extensions import db
    from portal.ownership.services import register_unit

    bike = gtin_for(FLEET_PREFIX, 3)
    with app.app_context():
        tenant = build_bike_fleet(TENANT)
        add_staff(tenant, MANAGER, Role.RECALL_MANAGER, password=PASSWORD, actor="test")
        add_staff(tenant, PARTNER, Role.CLAIMS_AGENT, password=PASSWORD, actor="test")
        register_unit(create_user(OWNER, PASSWORD, name="Rita Rider", verified=True), find_unit(bike, "B-001"),
                      purchased_on=date(2025, 5, 1))
        db.session.commit()
    return bike


def png(tmp_path, name: str, colour) -> str:
    path = tmp_path / name
    Image.new("RGB", (120, 80), colour).save(path, format="PNG")
    return str(path)


def test_a_gpsr_recall_from_refused_draft_to_exported_reports(app, mailbox, new_page, tmp_path):
    from portal.notifications.services import deliver_due

    bike = fleet(app)
    manager, owner, neighbour, partner = (new_page("desktop"), new_page("phone"), new_page("phone"),
                                          new_page("desktop"))

    # A neighbour registers her bike for safety information only: no account.
    neighbour.goto("/recalls/safety-registration")
    expect(neighbour.get_by_role("heading", level=1)).to_contain_text("safety information only")
    assert_accessible(neighbour)
    neighbour.get_by_label("GTIN").fill(bike)
    neighbour.get_by_label("Serial number").fill("B-002")
    neighbour.get_by_label("E-mail address").fill(CONTACT)
    neighbour.get_by_role("button", name="Register").click()
    expect(neighbour.get_by_role("status")).to_contain_text("Registered.")

    # The draft without the hazard, element (c), is refused.
    sign_in(manager, MANAGER)
    manager.goto(f"/console/{TENANT}/recalls/new")
    assert_accessible(manager)
    manager.get_by_label("Campaign number").fill(NUMBER)
    manager.get_by_label("Title", exact=True).fill(TITLE)
    manager.get_by_label("Lots (comma-separated)").fill("cell-a")
    manager.get_by_role("button", name="Save draft and preview").click()
    expect(manager.locator(".field").filter(has=manager.get_by_label("Hazard", exact=True))).to_contain_text(
        "This field is required")

    # Completed: every element of the notice, and the right case of the lot after the hint.
    manager.get_by_label("Hazard", exact=True).fill("Cells of lot CELL-A can overheat while charging and catch fire.")
    manager.get_by_label("What owners should do").fill("Take the pack out and bring the bike to a dealer.")
    manager.get_by_label("Remedy options (one per line)").fill("Dealer\nPick-up at home")
    manager.get_by_label("Remedies offered free of charge (at least two)").select_option(["repair", "replace"])
    manager.get_by_label("Free phone number").fill("0800 100 200")
    manager.get_by_label("Request to share the notice").fill("Please share this notice with every e-bike rider.")
    manager.get_by_label("Product description").fill("E-bike with a 500 Wh pack in the down tube.")
    manager.get_by_label("Product picture (JPEG, PNG or WebP)").set_input_files(png(tmp_path, "bike.png", (30, 80, 200)))
    manager.get_by_label("Where the batch or serial number is on the product").fill("Under the pack, on the white label.")
    manager.get_by_label("Picture of where to find the identifiers").set_input_files(png(tmp_path, "label.png", (240, 240, 240)))
    manager.get_by_label("Sold from").fill("2025-01-01")
    manager.get_by_label("Sold until").fill("2025-12-31")
    manager.get_by_label("Where it was sold (shops, web sites)").fill("Dealers in France and Germany")
    manager.get_by_label("Sold by").fill("E-Bike Co and its dealers")
    manager.get_by_label("Countries where it was sold (codes: FR, DE, BE)").fill("FR, DE")
    manager.get_by_label("Defect determined on (deadlines count from it)").fill(
        (date.today() - timedelta(days=2)).isoformat())
    manager.get_by_label("Incidents and injuries reported").fill("Two packs overheated; no injuries.")
    manager.get_by_label("Chronology of events").fill("Complaints in February; lab confirmed in March.")
    manager.get_by_role("button", name="Save draft and preview").click()
    expect(manager.get_by_text("Draft saved. Check the preview before you launch.")).to_be_visible()
    expect(manager.locator("#hints")).to_contain_text("did you mean CELL-A?")
    expect(manager.locator("#affected-count")).to_have_text("0")
    manager.get_by_role("link", name="Edit").click()
    manager.get_by_label("Lots (comma-separated)").fill("CELL-A")
    manager.get_by_role("button", name="Save draft and preview").click()
    expect(manager.locator("#affected-count")).to_have_text("4")
    expect(manager.locator("#population-counts")).to_contain_text("4 matching parts · 4 assemblies")
    expect(manager.locator("#notice-problems")).to_have_count(0)
    assert_accessible(manager)
    shoot(manager, "draft-desktop")
    manager.get_by_role("button", name="Launch: remedy available").click()
    expect(manager.get_by_text("Launched: 4 units affected; owners are being notified.")).to_be_visible()
    expect(manager.locator("#direct-reach")).to_have_text("50%")  # the owner's account and the contact
    expect(manager.locator("#reach-flag")).to_be_visible()
    campaign_url = manager.url
    assert_accessible(manager)
    shoot(manager, "dashboard-desktop")

    # The e-mails: the GPSR notice for the owner with a link straight to her notice, and for the contact.
    with app.app_context():
        deliver_due()
    text = mailbox.last_to(OWNER).get_body(("plain",)).get_content()
    assert "PRODUCT SAFETY RECALL" in text and "Stop using the product immediately." in text and "B-001" in text
    assert "RAPPEL DE PRODUIT POUR RAISONS DE SÉCURITÉ" in text and "PRODUKTSICHERHEITSRÜCKRUF" in text
    link = re.search(r"https?://\S+/my/recalls/campaign/\d+", text).group(0)
    contact_text = mailbox.last_to(CONTACT).get_body(("plain",)).get_content()
    assert "PRODUCT SAFETY RECALL" in contact_text and "B-002" in contact_text

    # The public notice page, as the contact's link opens it.
    public = re.search(r"https?://\S+(/recalls/ebike/R-2026-016)", contact_text).group(1)
    neighbour.goto(public)
    expect(neighbour.get_by_role("heading", level=1, name="Product safety recall")).to_be_visible()
    expect(neighbour.get_by_text("Stop using the product immediately.")).to_be_visible()
    assert_accessible(neighbour)
    shoot(neighbour, "public-notice-phone")

    # The owner opens the e-mail's link, chooses a remedy, changes it, and finds it kept.
    sign_in(owner, OWNER)
    owner.goto(re.sub(r"^https?://[^/]+", "", link))
    expect(owner.get_by_role("heading", level=1, name="Product safety recall")).to_be_visible()
    assert_accessible(owner)
    day = (date.today() + timedelta(days=14)).isoformat()
    owner.get_by_label("Your remedy").select_option(label="Replacement")
    owner.get_by_label("Preferred date (optional)").fill(day)
    owner.get_by_role("button", name="Acknowledge").click()
    expect(owner.locator("#saved-choice")).to_contain_text("Your remedy: Replacement.")
    owner.get_by_label("Your remedy").select_option(label="Repair")
    with owner.expect_navigation():  # the save posts and comes back: reload only once it has
        owner.get_by_role("button", name="Save").click()
    owner.reload()
    expect(owner.get_by_label("Your remedy")).to_have_value("repair")
    expect(owner.get_by_label("Preferred date (optional)")).to_have_value(day)
    expect(owner.locator("#saved-choice")).to_contain_text("Your remedy: Repair.")
    shoot(owner, "notice-phone")

    # The partner records the repair (typing the pack's serial, in lower case: the hint names the unit).
    sign_in(partner, PARTNER)
    partner.goto(campaign_url)
    expect(partner.locator("#completion-rate")).to_have_text("0%")
    remedy = partner.locator("form").filter(has=partner.get_by_role("heading", name="Record a remedy or removal"))
    remedy.get_by_label("Serial").fill("p-001")
    remedy.get_by_role("button", name="Record").click()
    expect(partner.get_by_text("Did you mean P-001?")).to_be_visible()
    remedy = partner.locator("form").filter(has=partner.get_by_role("heading", name="Record a remedy or removal"))
    remedy.get_by_label("Serial").fill("P-001")
    remedy.get_by_label("Where").fill("Velo Centrum")
    remedy.get_by_role("button", name="Record").click()
    expect(partner.get_by_text("Recorded: P-001 remedied.")).to_be_visible()
    expect(partner.locator("#completion-rate")).to_have_text("25%")

    # The manager exports the reports: the deadlines are on the timeline and the PDF reads back.
    manager.goto(campaign_url)
    manager.get_by_role("link", name=re.compile("Regulator reports and deadlines")).click()
    expect(manager.locator("#deadlines")).to_contain_text("NHTSA Part 573 defect report")
    assert_accessible(manager)
    manager.get_by_role("link", name="CPSC Section 15(b) report").click()
    expect(manager.get_by_label("Complaints, incidents and injuries reported")).to_have_value(
        "Two packs overheated; no injuries.")
    assert_accessible(manager)
    pdf = manager.request.get(manager.url + ".pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "CPSC Section 15(b) report" in text and "Two packs overheated; no injuries." in text
    assert "lot CELL-A" in text and NUMBER in text
    csv_export = manager.request.get(manager.url + ".csv")
    assert csv_export.ok and "date_codes,Date codes: lots and serial ranges,lot CELL-A" in csv_export.text()
