"""The owner's wallet on a phone (issue 17): the scanner one tap from the navigation, starting by itself once
the camera was allowed, registering by scanning from My products; a claim waiting for the owner flagged on My
products; one-row navigation at 390 px, console tabs that leave the first screen to the page. Screenshots go
to docs/screenshots/ (wallet-*.png) and every page passes axe."""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.browser.signin import sign_in
from tests.factories import build_world
from tests.support.scanning import (
    camera_phone,
    label_video,
    signed_label_uri,
    verdict_on_server,
    watch_problems,
)

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def own(app, email: str, unit_id: int) -> int:
    from portal.accounts.services import find_user
    from portal.catalog.models import Unit
    from portal.extensions import db
    from portal.ownership.services import register_unit

    with app.app_context():
        ownership = register_unit(find_user(email), db.session.get(Unit, unit_id),
                                  purchased_on=date.today() - timedelta(days=40), retailer="Acme Boutique")
        db.session.commit()
        return ownership.id


def claim_waiting_for(app, world, unit_id: int) -> str:
    """A claim on the unit that the desk answered with a question: now it is the owner's turn."""
    from portal.accounts.services import find_user
    from portal.catalog.models import Unit
    from portal.extensions import db
    from portal.warranty import services
    from portal.warranty.models import ClaimState

    with app.test_request_context():
        claim = services.file_claim(find_user(world.owner), db.session.get(Unit, unit_id), category="does_not_work",
                                    description="The hands stopped after a week.", started_on=None)
        agent = find_user(world.staff_a["claims_agent"])
        services.move(claim, ClaimState.IN_REVIEW, actor=agent, role="agent")
        services.move(claim, ClaimState.INFO_REQUESTED, actor=agent, role="agent",
                      note="Please send a photo of the back of the case.")
        db.session.commit()
        return claim.number


def one_row(page, selector: str) -> float:
    """The element's height in CSS pixels, after checking that its links sit on one line."""
    middles = page.eval_on_selector_all(f"{selector} a, {selector} button", "els => els.map(e => {"
                                        " const r = e.getBoundingClientRect(); return r.top + r.height / 2; })")
    assert max(middles) - min(middles) < 6, f"{selector} wraps: links centred at {sorted(set(middles))}"
    return page.eval_on_selector(selector, "e => e.getBoundingClientRect().height")


def test_scan_from_the_navigation_and_register_by_scanning(app, browser, live_server, tmp_path):
    world = build_world(app)
    own(app, world.owner, world.unit_ids_a[0])
    first = signed_label_uri(app, world.unit_ids_a[0])
    second = signed_label_uri(app, world.unit_ids_a[1])
    DOCS.mkdir(parents=True, exist_ok=True)

    # The camera was allowed on an earlier visit: the scanner opened from the navigation starts by itself.
    with camera_phone(browser, live_server, label_video(first, tmp_path / "first.y4m"), granted=True) as page:
        problems = watch_problems(page)
        sign_in(page, world.owner)
        page.goto("/my")
        expect(page.get_by_role("heading", level=1, name="My products")).to_be_visible()
        nav = page.get_by_role("navigation", name="Main")
        assert one_row(page, "nav.nav") <= 48
        assert page.evaluate("document.documentElement.scrollWidth") <= 391
        nav.get_by_role("link", name="Scan", exact=True).click()
        page.wait_for_url(verdict_on_server(first, live_server))
        expect(page.locator("#verdict-title")).to_have_text("Genuine")
        assert_accessible(page)
        assert not problems, problems

    # "Scan the code to register it" on My products: the code's numbers fill in the registration form.
    with camera_phone(browser, live_server, label_video(second, tmp_path / "second.y4m"), granted=True) as page:
        problems = watch_problems(page)
        sign_in(page, world.owner)
        page.goto("/my")
        assert_accessible(page)
        page.screenshot(path=DOCS / "wallet-my-products-phone.png", full_page=True)
        page.get_by_role("link", name="Scan the code to register it").click()
        page.wait_for_url(re.compile(r"/my/register\?gtin=\d{14}&serial=ACME-0002$"))
        expect(page.get_by_label("GTIN")).to_have_value(world.gtin_a)
        expect(page.get_by_label("Serial number")).to_have_value("ACME-0002")
        assert_accessible(page)
        page.get_by_label("Purchase date").fill((date.today() - timedelta(days=3)).isoformat())
        page.get_by_role("button", name="Register it as mine").click()
        expect(page.get_by_role("heading", level=1, name="Acme One")).to_be_visible()
        expect(page.locator("main")).to_contain_text("ACME-0002")
        assert not problems, problems


def test_without_permission_the_scanner_waits_for_a_tap(app, browser, live_server, tmp_path):
    world = build_world(app)
    code = signed_label_uri(app, world.unit_ids_a[0])
    with camera_phone(browser, live_server, label_video(code, tmp_path / "code.y4m")) as page:
        page.goto("/")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Scan", exact=True).click()
        expect(page.get_by_role("button", name="Start camera")).to_be_visible()
        page.wait_for_timeout(500)
        assert page.url == f"{live_server}/scan"  # nothing started before the tap
        page.get_by_role("button", name="Start camera").click()
        page.wait_for_url(verdict_on_server(code, live_server))


def test_a_claim_waiting_for_the_owner_is_flagged_on_my_products(app, phone, desktop, live_server):
    world = build_world(app)
    ownership_id = own(app, world.owner, world.unit_ids_a[0])
    own(app, world.owner, world.unit_ids_a[1])
    number = claim_waiting_for(app, world, world.unit_ids_a[0])
    problems = watch_problems(phone)
    sign_in(phone, world.owner)
    phone.goto("/my")
    waiting = phone.get_by_role("status").filter(has_text="A claim is waiting for you")
    expect(waiting).to_contain_text("the service desk asked a question about your Acme One")
    card = phone.locator(".wallet-card").filter(has_text="ACME-0001")
    expect(card.get_by_role("listitem").filter(has_text="Claim waiting for you")).to_be_visible()
    expect(card).to_contain_text("Covered until")
    expect(phone.locator(".wallet-card").filter(has_text="ACME-0002")).not_to_contain_text("Claim waiting")
    expect(phone.locator("main")).not_to_contain_text("Sold")
    assert_accessible(phone)
    phone.screenshot(path=DOCS / "wallet-claim-waiting-phone.png", full_page=True)
    waiting.get_by_role("link", name=f"Open claim {number}").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text(number)
    expect(phone.locator("main")).to_contain_text("Please send a photo of the back of the case.")

    phone.goto(f"/my/units/{ownership_id}")
    expect(phone.locator("main")).not_to_contain_text(re.compile(r"Covered\s+Covered"))
    assert_accessible(phone)
    phone.screenshot(path=DOCS / "wallet-unit-phone.png", full_page=True)
    assert not problems, problems

    sign_in(desktop, world.owner)
    desktop.goto("/my")
    assert_accessible(desktop)
    desktop.screenshot(path=DOCS / "wallet-my-products-desktop.png", full_page=True)


def test_staff_land_on_the_console_whose_tabs_leave_room_on_a_phone(app, phone, live_server):
    world = build_world(app)
    sign_in(phone, world.staff_a["admin"])
    expect(phone).to_have_url(re.compile(r"/console/acme/$"))
    expect(phone.get_by_role("heading", level=1, name="Overview")).to_be_visible()
    height = one_row(phone, "nav.console-nav")
    assert height < 0.12 * 844, f"console tabs take {height}px of an 844px screen"
    assert one_row(phone, "nav.nav") <= 48
    assert phone.evaluate("document.documentElement.scrollWidth") <= 391
    assert_accessible(phone)
    phone.screenshot(path=DOCS / "wallet-console-phone.png")
    phone.goto("/console/acme/returns")
    phone.get_by_label("Owners sending from").select_option("FR")
    phone.get_by_label("Postal address").fill("Acme Retours\n12 rue du Port\n69002 Lyon\nFrance")
    phone.get_by_role("button", name="Save the address").click()
    expect(phone.get_by_role("status").filter(has_text="Return address saved.")).to_be_visible()
    expect(phone.locator("main")).to_contain_text("12 rue du Port")
    assert_accessible(phone)
    phone.screenshot(path=DOCS / "wallet-return-addresses-phone.png", full_page=True)
