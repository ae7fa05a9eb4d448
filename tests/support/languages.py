"""A cell recall launched for the language journeys, and reading its French notice."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.factories import GPSR_NOTICE
from tests.support.recall_fleet import TENANT, build_fleet
from tests.support.recall_fleet import TITLE as RECALL_TITLE


def launch_cell_recall(app):
    """The e-bike fleet with campaign R-2026-007 launched for cell lot CELL-A (bikes B-001 to B-004)."""
    from portal.catalog.models import Manufacturer
    from portal.extensions import db
    from portal.recalls import services as recalls

    fleet = build_fleet(app)
    with app.app_context():
        tenant = db.session.scalar(db.select(Manufacturer).where(Manufacturer.slug == TENANT))
        campaign = recalls.save_draft(
            tenant, actor="test", **{**GPSR_NOTICE, "remedy_instructions": "Stop charging the battery and have the pack replaced."}, number="R-2026-007", title=RECALL_TITLE,
            hazard="Cells of lot CELL-A can overheat while charging.",
            criteria={"lots": ["CELL-A"]})
        recalls.launch(campaign, remedy_available=True, actor="test")
        db.session.commit()
    return fleet


def read_french_answer(page, serial: str, recalled: bool) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ce produit fait-il l'objet d'un rappel ?")
    answer = page.get_by_role("region", name=re.compile("Rappel en cours|Aucun rappel en cours"))
    if recalled:
        expect(answer.get_by_role("heading", level=2)).to_have_text("Rappel en cours")
        expect(answer).to_contain_text(serial)
        recall = page.locator("section.card").filter(has_text=RECALL_TITLE)
        expect(recall).to_contain_text("Danger :")
        expect(recall).to_contain_text("Cells of lot CELL-A can overheat while charging.")
    else:
        expect(answer.get_by_role("heading", level=2)).to_have_text("Aucun rappel en cours pour cet exemplaire")
    assert_accessible(page)
