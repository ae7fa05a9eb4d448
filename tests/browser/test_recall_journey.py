"""A safety recall from start to finish through the real UI in Chromium.

A recall manager drafts a campaign for one cell lot, checks the preview and launches it (desktop); the
owner of a bike that holds one of those cells gets the e-mail, sees the banner, reads the notice and
acknowledges it with a remedy option (phone); a service partner records the remedy (desktop); the
completion rate moves and the owner's product page says the remedy is done.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.a11y import assert_accessible
from tests.browser.signin import sign_in
from tests.support.recall_fleet import (  # noqa: F401
    MANAGER,
    OWNED_BIKE,
    OWNER,
    PARTNER,
    TENANT,
    TITLE,
    Fleet,
    build_fleet,
    choose_remedies,
    fill_notice,
    home_completion,
)

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def open_recalls(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Console").click()
    expect(page.get_by_role("navigation", name="Console")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Recalls").click()
    expect(page.get_by_role("heading", level=1, name="Recall campaigns")).to_be_visible()
    assert_accessible(page)


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"recall-{name}.png"), full_page=True)


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth"
                             " - document.documentElement.clientWidth")
    assert overflow <= 1, f"{page.url} scrolls sideways by {overflow}px"


def percent(page: Page) -> int:
    text = page.locator("#completion-rate").inner_text().strip()
    assert re.fullmatch(r"\d+%", text), text
    return int(text[:-1])


def test_recall_from_draft_to_remedy(app, mailbox, new_page, tmp_path):
    from portal.notifications.services import deliver_due

    fleet = build_fleet(app)
    manager, owner, partner = new_page("desktop"), new_page("phone"), new_page("desktop")

    # The recall manager drafts a campaign for cell lot CELL-A and checks the preview.
    sign_in(manager, MANAGER)
    open_recalls(manager)
    manager.get_by_role("link", name="New campaign").click()
    expect(manager.get_by_role("heading", level=1, name="New recall campaign")).to_be_visible()
    assert_accessible(manager)
    manager.get_by_label("Campaign number").fill("R-2026-007")
    manager.get_by_label("Title", exact=True).fill(TITLE)
    manager.get_by_label("Hazard", exact=True).fill("Cells of lot CELL-A can overheat while charging.")
    manager.get_by_label("What owners should do").fill(
        "Stop charging the battery and have the pack replaced.")
    manager.get_by_label("Remedy options (one per line)").fill("Dealer\nPick-up at home")
    choose_remedies(manager)
    fill_notice(manager, tmp_path)
    manager.get_by_label("Lots (comma-separated)").fill("CELL-A")
    manager.get_by_role("button", name="Save draft and preview").click()

    expect(manager.get_by_text("Draft saved. Check the preview before you launch.")).to_be_visible()
    expect(manager.get_by_role("heading", level=1, name=f"R-2026-007: {TITLE}")).to_be_visible()
    expect(manager.locator("#affected-count")).to_have_text(str(fleet.affected))
    sample = manager.locator("section").filter(
        has=manager.get_by_role("heading", name="Sample of affected units"))
    expect(sample.get_by_role("link", name=OWNED_BIKE)).to_be_visible()
    expect(sample).not_to_contain_text("C-005")  # lot CELL-B is not affected
    assert_accessible(manager)
    shoot(manager, "draft-desktop")

    manager.get_by_role("button", name="Launch: remedy available").click()
    launched = f"Launched: {fleet.affected} units affected; owners are being notified."
    expect(manager.get_by_text(launched)).to_be_visible()
    expect(manager.locator("#completion-rate")).to_have_text("0%")
    expect(manager.get_by_role("heading", name="Record a remedy or removal")).to_be_visible()
    assert_accessible(manager)
    campaign_url = manager.url
    # The console home lists it among the active recalls, nothing remedied yet.
    assert home_completion(manager, "R-2026-007") == "0%"
    manager.goto(campaign_url)

    # The owner's e-mail goes out.
    with app.app_context():
        deliver_due()
    mail = mailbox.last_to(OWNER)
    assert mail["Subject"].startswith("IMPORTANT SAFETY RECALL"), mail["Subject"]
    assert mail["Subject"] == f"IMPORTANT SAFETY RECALL: {TITLE}"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "IMPORTANT SAFETY RECALL INFORMATION" in text and OWNED_BIKE in text, text
    assert "B-002" not in text  # only the owner's own units are listed
    assert len(mailbox.to(OWNER)) == 1
    link = re.search(r"https?://\S+/my/recalls/campaign/\d+", text).group(0)

    manager.reload()  # the dashboard now counts the delivered notice
    expect(manager.locator("#completion-rate")).to_have_text("0%")
    expect(manager.get_by_role("cell", name=OWNER)).to_be_visible()
    shoot(manager, "dashboard-desktop")

    # The owner sees the banner, reads the notice on the phone and acknowledges it with a remedy option.
    sign_in(owner, OWNER)
    owner.goto("/my")
    expect(owner.get_by_role("heading", level=1, name="My products")).to_be_visible()
    banner = owner.locator(".recall-banner").filter(has_text="Safety recall:")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(OWNED_BIKE)
    assert_accessible(owner)
    no_sideways_scroll(owner)
    shoot(owner, "my-products-phone")
    owner.goto(re.sub(r"^https?://[^/]+", "", link))  # the link in the e-mail opens the notice itself
    expect(owner.get_by_role("heading", level=1, name="Product safety recall")).to_be_visible()
    expect(owner.get_by_text(TITLE)).to_be_visible()
    expect(owner.get_by_text("IMPORTANT SAFETY RECALL INFORMATION")).to_be_visible()
    expect(owner.get_by_text(f"(serial {OWNED_BIKE}) is affected")).to_be_visible()
    assert_accessible(owner)
    no_sideways_scroll(owner)
    shoot(owner, "notice-phone")
    owner.get_by_label("Remedy option").select_option("Pick-up at home")
    owner.get_by_role("button", name="Acknowledge").click()

    expect(owner.get_by_text("Thank you: your choice is saved, and the manufacturer knows you have read the notice."
                             )).to_be_visible()
    owner.get_by_role("link", name="Back to the product").click()
    expect(owner.get_by_role("heading", level=1, name="Bike")).to_be_visible()
    recalls = owner.get_by_role("region", name="Recalls")
    expect(recalls.get_by_role("link", name=f"R-2026-007: {TITLE}")).to_be_visible()
    expect(recalls).to_contain_text("Recall incomplete")
    assert_accessible(owner)
    unit_url = owner.url

    # A service partner records the remedy for the owner's bike.
    sign_in(partner, PARTNER)
    open_recalls(partner)
    partner.get_by_role("link", name="R-2026-007").click()
    expect(partner.locator("#completion-rate")).to_have_text("0%")
    assert_accessible(partner)
    before = percent(partner)
    remedy = partner.locator("form").filter(
        has=partner.get_by_role("heading", name="Record a remedy or removal"))
    remedy.get_by_label("Serial").fill(OWNED_BIKE)
    remedy.get_by_label("Outcome").select_option(label="Remedied")
    remedy.get_by_label("Where").fill("Velo Centrum")
    remedy.get_by_label("What was done").fill("Battery pack replaced")
    remedy.get_by_role("button", name="Record").click()

    expect(partner.get_by_text(f"Recorded: {OWNED_BIKE} remedied.")).to_be_visible()
    expect(partner.locator("#completion-rate")).not_to_have_text("0%")
    after = percent(partner)
    assert before == 0 and after > 0, (before, after)
    assert after == round(100 / fleet.affected), after  # 1 of the 4 bikes remedied
    assert_accessible(partner)
    shoot(partner, "dashboard-remedied-desktop")
    # The console home's "Active recalls" moved as well, for the recall manager too.
    assert home_completion(manager, "R-2026-007") == f"{after}%"

    # The owner's product page now says the remedy is done, and where.
    owner.goto(unit_url)
    recalls = owner.get_by_role("region", name="Recalls")
    expect(recalls.get_by_text("Remedy completed")).to_be_visible()
    expect(recalls).not_to_contain_text("Recall incomplete")
    assert_accessible(owner)
    no_sideways_scroll(owner)
    recalls.scroll_into_view_if_needed()
    shoot(owner, "unit-remedied-phone")
    owner.goto("/my")
    expect(owner.get_by_text("Safety recall:")).to_have_count(0)
    owner.goto(unit_url)
    recalls.get_by_role("link", name=f"R-2026-007: {TITLE}").click()
    expect(owner.get_by_text(re.compile(r"Remedy completed on .+ at Velo Centrum\."))).to_be_visible()
    assert_accessible(owner)
    expect(owner.get_by_role("button", name=re.compile("Acknowledge|Save"))).to_have_count(0)
