"""Service history in a real browser: a partner records a service on a phone (the form, its upload, the list),
and the owner finds it on their unit page. Screenshots at 390x844 and desktop width go to
test-artifacts/screenshots/servicing-*.png; every page is checked with axe."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfWriter

from portal.accounts.services import find_user
from portal.catalog.models import Unit
from portal.extensions import db
from portal.ownership.services import register_unit
from tests.browser.a11y import assert_accessible
from tests.browser.signin import sign_in
from tests.factories import build_world
from tests.support.browser import new_context

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _context(contexts: list, browser, kind: str, url: str):
    context = new_context(browser, kind, base_url=url)
    contexts.append(context)
    return context


def report_pdf(tmp_path) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    path = tmp_path / "service-report.pdf"
    path.write_bytes(out.getvalue())
    return path


def test_a_partner_records_on_a_phone_and_the_owner_sees_it(app, tmp_path, browser, live_server):
    world = build_world(app)
    with app.app_context():
        held = register_unit(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[0]),
                             purchased_on=date(2025, 6, 1), retailer="Acme Boutique")
        db.session.commit()
        ownership_id = held.id
    SHOTS.mkdir(parents=True, exist_ok=True)
    url, contexts = live_server, []  # the session's Chromium (tests/browser/conftest.py)
    try:
        partner = _context(contexts, browser, "phone", url).new_page()
        sign_in(partner, world.staff_a["service_partner"])
        partner.goto("/console/acme/")
        expect(partner).to_have_url(f"{url}/console/acme/services")
        assert_accessible(partner)
        partner.get_by_label("GTIN").fill(world.gtin_a)
        partner.get_by_label("Serial number").fill(world.serials_a[0])
        partner.get_by_label("Date of the service").fill("2026-03-02")
        partner.get_by_label("What was done").select_option("part_replaced")
        partner.get_by_label("Serial of the part fitted").fill("CROWN-77")
        partner.get_by_label("Service centre").fill("Atelier Genève")
        partner.get_by_label("Notes").fill("Crown and gaskets replaced, water-resistance tested to 10 bar.")
        partner.get_by_label("Document (PDF or photo)").set_input_files(str(report_pdf(tmp_path)))
        with partner.expect_navigation():
            partner.get_by_role("button", name="Record the service").click()
        expect(partner.get_by_text("Service recorded")).to_be_visible()
        expect(partner.get_by_role("cell", name="Atelier Genève")).to_be_visible()
        assert partner.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert_accessible(partner)
        partner.screenshot(path=SHOTS / "servicing-console-phone.png", full_page=True)
        wide = _context(contexts, browser, "desktop", url).new_page()
        sign_in(wide, world.staff_a["admin"])
        wide.goto("/console/acme/services")
        expect(wide.get_by_role("cell", name="Atelier Genève")).to_be_visible()
        wide.screenshot(path=SHOTS / "servicing-console-desktop.png", full_page=True)

        for kind in ("phone", "desktop"):
            owner = _context(contexts, browser, kind, url).new_page()
            sign_in(owner, world.owner)
            owner.goto(f"/my/units/{ownership_id}")
            history = owner.locator("section", has=owner.get_by_role("heading", name="Service history"))
            expect(history).to_contain_text("Part replaced")
            expect(history).to_contain_text("CROWN-77")
            expect(history).to_contain_text("Atelier Genève")
            expect(history.get_by_role("link", name="service-report.pdf")).to_be_visible()
            assert owner.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            assert_accessible(owner)
            history.screenshot(path=SHOTS / f"servicing-owner-{kind}.png")
    finally:
        for context in contexts:
            context.close()
