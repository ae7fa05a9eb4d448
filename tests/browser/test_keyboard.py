"""Journeys with the keyboard alone: Tab and Shift+Tab to move, typing to fill, Enter or Space to act; no clicks.

Going to an address (the e-mail's link, the scanned label's address) is the browser's job, so `goto` stays; every
step on a page is a key press. At the steps that matter the focused element must show its focus ring.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.a11y import assert_accessible
from tests.browser.keyboard import (
    FOCUSED,
    assert_focus_visible,
    choose,
    is_focused,
    sign_in_by_keyboard,
    tab_and_press,
    tab_and_type,
    tab_to,
)
from tests.factories import TOTP_SECRET, build_world
from tests.support.claims import ANSWER, QUESTION, photo_file
from tests.support.claims import give_unit as give_claim_unit
from tests.support.journeys import (
    check_registered,
    give_unit,
    open_certificate,
    receipt_file,
    verdict_shows_stolen,
    verify_link,
)
from tests.support.languages import launch_cell_recall, read_french_answer
from tests.support.recall_fleet import (
    MANAGER,
    OWNED_BIKE,
    OWNER,
    PARTNER,
    build_fleet,
    choose_remedies,
    fill_notice,
    home_completion,
)
from tests.support.recall_fleet import TITLE as RECALL_TITLE
from tests.support.scanning import (
    camera_phone,
    label_video,
    report_stolen_unit,
    signed_label_uri,
    verdict_on_server,
)

pytestmark = pytest.mark.browser


def attach_file_by_keyboard(page: Page, field, path) -> None:
    """Tab to a file field and open its chooser with Space; the chooser gets the file (as a person picks it).

    On a loaded machine the chooser has been seen not to open on the first press; a person presses again.
    """
    tab_to(page, field)
    assert_focus_visible(page)
    for attempt in range(3):
        try:
            with page.expect_file_chooser(timeout=4_000) as chooser:
                page.keyboard.press("Space")
        except PlaywrightTimeout:
            assert is_focused(field), f"focus left the file field: {page.evaluate(FOCUSED)}"
            if attempt == 2:
                raise
            continue
        chooser.value.set_files(path)
        break
    assert field.evaluate("el => el.files.length") == 1


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
    # Sign-up signs nobody in (docs/security.md): confirm the address, then sign in, by keyboard too.
    expect(page.get_by_text("We sent you an e-mail: follow its link to confirm your address.")).to_be_visible()

    page.goto(verify_link(app, mailbox, email, live_server))
    expect(page.get_by_text("Your e-mail address is confirmed")).to_be_visible()
    sign_in_by_keyboard(page, email, "a long enough password")
    expect(page.get_by_role("heading", name="My products")).to_be_visible()

    tab_and_press(page, page.get_by_role("link", name="Register a product", exact=True), navigates=True)
    tab_and_type(page, page.get_by_label("GTIN"), world.gtin_a, check_focus=True)
    tab_and_type(page, page.get_by_label("Serial number"), world.serials_a[0])
    tab_to(page, page.get_by_label("Purchase date"))
    assert_focus_visible(page)
    # The date field's order follows Chromium's own language, not the page's: day and month alike type the same
    # in a day-first and a month-first field.
    page.keyboard.type("06062025")
    expect(page.get_by_label("Purchase date")).to_have_value("2025-06-06")
    tab_and_type(page, page.get_by_label("Where you bought it", exact=True), "Acme Store, Lyon")
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


# --- Journey 1: the scanner started from the keyboard ------------------------------------------------------

def test_camera_scan_of_a_stolen_unit_started_by_keyboard(app, browser, live_server, tmp_path):
    world = build_world(app)
    unit_id = world.unit_ids_a[2]
    uri = signed_label_uri(app, unit_id)
    report_stolen_unit(app, world.owner, unit_id)
    with camera_phone(browser, live_server, label_video(uri, tmp_path / "stolen.y4m")) as page:
        page.goto("/scan")
        tab_and_press(page, page.get_by_role("button", name="Start camera"))
        page.wait_for_url(verdict_on_server(uri, live_server))
        expect(page.locator("#verdict-title")).to_have_text("Genuine, with a warning")
        expect(page.locator("main")).to_contain_text("Reported stolen")
        tab_to(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Check a product"))
        assert_focus_visible(page)


# --- Journey 3: a claim, owner and desk both on the keyboard -------------------------------------------------

def symmetric_day(after: date, before: date) -> date:
    """The latest day in (after, before] whose day and month are the same number: it types the same into a
    day-first and a month-first date field (the field's order follows Chromium's language, not the page's)."""
    day = before
    while day.day != day.month:
        day -= timedelta(days=1)
    assert day > after, (after, before)
    return day


def desk_moves_by_keyboard(agent: Page, number: str, action: str, note: str = "") -> None:
    agent.goto(f"/console/acme/claims/{number}")
    decision = agent.locator("details").filter(
        has=agent.locator("summary", has_text=re.compile(rf"^\s*{re.escape(action)}\s*$")))
    tab_and_press(agent, decision.locator("summary"))  # Enter opens the <details>
    if note:
        tab_and_type(agent, decision.get_by_role("textbox", name=re.compile("^Note")), note, check_focus=True)
    tab_and_press(agent, decision.get_by_role("button", name=action, exact=True), navigates=True)
    expect(agent.get_by_text(f"Claim {number} is now")).to_be_visible()


def test_claim_with_a_photo_to_the_return_document_by_keyboard(app, new_page, tmp_path):
    world = build_world(app)
    give_claim_unit(app, world.owner, world.unit_ids_a[0])
    owner, agent = new_page("phone"), new_page("desktop")
    sign_in_by_keyboard(agent, world.staff_a["claims_agent"], secret=TOTP_SECRET)

    sign_in_by_keyboard(owner, world.owner)
    tab_and_press(owner, owner.get_by_role("navigation", name="Main").get_by_role("link", name="My products"),
                  navigates=True)
    tab_and_press(owner, owner.get_by_role("link", name=re.compile("Acme One")), navigates=True)
    tab_and_press(owner, owner.get_by_role("link", name="File a claim"), navigates=True)
    choose(owner, owner.get_by_label("What happened?"), "It works only some of the time")
    tab_and_type(owner, owner.get_by_label("Describe the problem"),
                 "The watch stops at night and starts again when I shake it.", check_focus=True)
    started = symmetric_day(date.today() - timedelta(days=90), date.today())
    tab_to(owner, owner.get_by_label("When did it start?"))
    assert_focus_visible(owner)
    owner.keyboard.type(started.strftime("%d%m%Y"))
    expect(owner.get_by_label("When did it start?")).to_have_value(started.isoformat())
    attach_file_by_keyboard(owner, owner.get_by_label("Photos (optional)"), photo_file(tmp_path))
    choose(owner, owner.get_by_label("What would you like?"), "Repair it")
    tab_and_press(owner, owner.get_by_role("button", name="File the claim"), navigates=True)
    heading = owner.get_by_role("heading", level=1, name=re.compile(r"^Claim W\d\d-"))
    expect(heading).to_be_visible()
    expect(owner.locator("ul.my-claim-photos img")).to_have_count(1)
    number = heading.inner_text().removeprefix("Claim ").strip()

    desk_moves_by_keyboard(agent, number, "Ask the owner for information", QUESTION)
    owner.reload()
    ask = owner.get_by_role("region", name="Acme Watches needs more information")
    expect(ask).to_contain_text(QUESTION)
    tab_and_type(owner, ask.get_by_label("Your answer"), ANSWER, check_focus=True)
    tab_and_press(owner, ask.get_by_role("button", name="Send the answer"), navigates=True)
    expect(owner.get_by_text("Thank you. Your answer is with the manufacturer.")).to_be_visible()

    desk_moves_by_keyboard(agent, number, "Approve")
    owner.reload()
    expect(owner.locator(".page-head")).to_contain_text("Approved")
    link = owner.get_by_role("region", name="Return number").get_by_role("link", name="Return document (PDF)")
    tab_to(owner, link)
    assert_focus_visible(owner)
    with owner.expect_response(lambda r: r.url.endswith(".pdf")) as got:
        owner.keyboard.press("Enter")
    assert got.value.status == 200 and got.value.headers["content-type"] == "application/pdf"


# --- Journey 4: a recall drafted, launched, acknowledged and remedied on the keyboard -------------------------

def test_recall_from_draft_to_remedy_by_keyboard(app, mailbox, new_page, tmp_path):
    from portal.accounts.second_factor import enrol
    from portal.accounts.services import find_user
    from portal.extensions import db
    from portal.notifications.services import deliver_due

    fleet = build_fleet(app)
    with app.app_context():
        for email in (MANAGER, PARTNER):
            enrol(find_user(email), TOTP_SECRET, actor="test")
        db.session.commit()
    manager, owner = new_page("desktop"), new_page("phone")

    sign_in_by_keyboard(manager, MANAGER, secret=TOTP_SECRET)
    tab_and_press(manager, manager.get_by_role("navigation", name="Main").get_by_role("link", name="Console"),
                  navigates=True)
    tab_and_press(manager, manager.get_by_role("navigation", name="Console").get_by_role("link", name="Recalls"),
                  navigates=True)
    tab_and_press(manager, manager.get_by_role("link", name="New campaign"), navigates=True)
    tab_and_type(manager, manager.get_by_label("Campaign number"), "R-2026-007", check_focus=True)
    tab_and_type(manager, manager.get_by_label("Title", exact=True), RECALL_TITLE)
    tab_and_type(manager, manager.get_by_label("Hazard", exact=True), "Cells of lot CELL-A can overheat.",
                 check_focus=True)
    choose_remedies(manager, keyboard=True)
    tab_and_type(manager, manager.get_by_label("What owners should do"), "Have the pack replaced.")
    tab_and_type(manager, manager.get_by_label("Remedy options (one per line)"), "Dealer\nPick-up at home")
    fill_notice(manager, tmp_path, keyboard=True)
    tab_and_type(manager, manager.get_by_label("Lots (comma-separated)"), "CELL-A")
    tab_and_press(manager, manager.get_by_role("button", name="Save draft and preview"), navigates=True)
    expect(manager.locator("#affected-count")).to_have_text(str(fleet.affected))
    tab_and_press(manager, manager.get_by_role("button", name="Launch: remedy available"), navigates=True)
    expect(manager.locator("#completion-rate")).to_have_text("0%")
    campaign_url = manager.url

    with app.app_context():
        deliver_due()
    text = mailbox.last_to(OWNER).get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/my/recalls/campaign/\d+", text).group(0)

    sign_in_by_keyboard(owner, OWNER)
    owner.goto("/my")
    tab_and_press(owner, owner.locator(".recall-banner").get_by_role("link", name="Read the notice"), navigates=True)
    notice_url = owner.url
    owner.goto(re.sub(r"^https?://[^/]+", "", link))  # the e-mail's link opens the same notice
    assert owner.url == notice_url
    choose(owner, owner.get_by_label("Remedy option"), "Pick-up at home")
    tab_and_press(owner, owner.get_by_role("button", name="Acknowledge"), navigates=True)
    expect(owner.get_by_text("Thank you: your choice is saved, and the manufacturer knows you have read the notice."
                             )).to_be_visible()

    manager.goto(campaign_url)  # the recall manager records the remedy here, as a partner would
    remedy = manager.locator("form").filter(has=manager.get_by_role("heading", name="Record a remedy or removal"))
    tab_and_type(manager, remedy.get_by_label("Serial"), OWNED_BIKE, check_focus=True)
    choose(manager, remedy.get_by_label("Outcome"), "Remedied")
    tab_and_type(manager, remedy.get_by_label("Where"), "Velo Centrum")
    tab_and_type(manager, remedy.get_by_label("What was done"), "Battery pack replaced")
    tab_and_press(manager, remedy.get_by_role("button", name="Record"), navigates=True)
    expect(manager.get_by_text(f"Recorded: {OWNED_BIKE} remedied.")).to_be_visible()
    expect(manager.locator("#completion-rate")).to_have_text(f"{round(100 / fleet.affected)}%")
    assert home_completion(manager, "R-2026-007") == f"{round(100 / fleet.affected)}%"


# --- Getting past the header --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_skip_link_is_the_first_stop_shows_itself_and_lands_in_the_content(kind, new_page):
    page = new_page(kind)
    page.goto("/lookup")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert_focus_visible(page)
    box = skip.bounding_box()
    viewport = page.viewport_size
    assert box and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the next stop is the first one in the content, not the header's links
    expect(page.get_by_label("GTIN")).to_be_focused()
    assert_focus_visible(page)
