"""Two owners with a full life in the portal: receipts, a claim with photos and messages, a stolen report,
a transfer code, a recall notice and acknowledgement, a counterfeit report and mail sent and pending."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.authenticity.services import report_counterfeit
from portal.catalog.models import Manufacturer, Unit
from portal.core.storage import store_proof
from portal.extensions import db
from portal.notifications.services import deliver_due
from portal.ownership.services import register_unit, report_stolen, start_transfer
from portal.recalls import services as recalls
from portal.recalls.models import RecallUnit
from portal.warranty import services as warranty
from tests.factories import GPSR_NOTICE, build_world
from tests.support.privacy import DISPUTE, OWNER_MESSAGE, STOLEN_PLACE

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def jpeg(color, size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG", quality=90)
    return out.getvalue()


@dataclass
class Estate:
    world: object
    owner_id: int
    other_id: int
    claim_number: str
    other_claim_number: str
    campaign_id: int
    unit_ids: list[int]


@pytest.fixture
def estate(app) -> Estate:
    world = build_world(app)
    with app.app_context():
        owner, other = find_user(world.owner), find_user(world.other_owner)
        agent = find_user(world.staff_a["claims_agent"])
        units = [db.session.get(Unit, uid) for uid in world.unit_ids_a]
        bought = date.today() - timedelta(days=30)
        first = register_unit(owner, units[0], purchased_on=bought, retailer="Acme Boutique",
                              proof=store_proof(jpeg((250, 250, 240)), "receipt.jpg"))
        second = register_unit(owner, units[1], purchased_on=bought, retailer="Watch Corner",
                               proof=store_proof(PDF, "invoice.pdf"))
        register_unit(other, units[2], purchased_on=bought, retailer="Acme Boutique",
                      proof=store_proof(jpeg((10, 10, 10)), "bon-otto.jpg"))
        claim = warranty.file_claim(owner, units[0], category="does_not_work",
                                    description="The crown came off and the hands stopped.", started_on=None,
                                    photos=[(jpeg((200, 0, 0)), "front.jpg"), (jpeg((0, 200, 0)), "back.jpg")])
        warranty.add_message(claim, owner, "owner", OWNER_MESSAGE)
        other_claim = warranty.file_claim(other, units[2], category="cosmetic",
                                          description="A scratch on the glass from the box.", started_on=None,
                                          photos=[(jpeg((0, 0, 200)), "scratch.jpg")])
        report_stolen(owner, second, note="Taken from my car", place=STOLEN_PLACE)
        start_transfer(owner, first)
        report_counterfeit(gtin=world.gtin_a, serial="FAKE-1", code="", message="Sold on a market stall for 20.",
                           where_seen="Market", contact=world.owner, photo=None)
        from portal.ownership.services import open_dispute

        open_dispute(owner, db.session.get(Unit, world.unit_id_b), DISPUTE)
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        campaign = recalls.save_draft(acme, actor="test", **GPSR_NOTICE, number="R-7", title="Crown may detach",
                                      hazard="The crown can come off.", remedy_options="Dealer\nPost",
                                      criteria={"model_ids": [world.model_id_a]})
        recalls.launch(campaign, remedy_available=True, actor="test")
        db.session.commit()
        deliver_due(limit=100)  # what went out so far is "sent"; the agent's message below stays pending
        ru = db.session.scalar(select(RecallUnit).where(RecallUnit.unit_id == units[0].id))
        recalls.acknowledge(owner, ru, option="Dealer", preferred_date=date.today() + timedelta(days=10))
        warranty.add_message(claim, agent, "agent", "Please send the watch to us.")
        db.session.commit()
        return Estate(world, owner.id, other.id, claim.number, other_claim.number, campaign.id,
                      list(world.unit_ids_a))
