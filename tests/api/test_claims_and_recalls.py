"""Service partners: claims (list, read, move), recall status (public), campaigns and remedies."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.catalog.models import Manufacturer, Unit, UnitEvent
from portal.catalog.services import add_model, create_unit
from portal.core.db import utcnow
from portal.core.storage import StoredFile
from portal.demo import gtin_for
from portal.extensions import db
from portal.notifications.models import Notification
from portal.ownership.services import register_unit
from portal.recalls import services as recalls
from portal.recalls.models import RecallUnit, RecallUnitState
from portal.warranty import services as warranty
from portal.warranty.models import ClaimEntry, ClaimState, WarrantyClaim
from tests.factories import GPSR_NOTICE
from tests.support.api import ApiClient, as_problem, make_token

RECEIPT = StoredFile(key="receipt-on-file.pdf", mime="application/pdf", name="receipt.pdf", size=1200)


def file_claims(app, world, count: int = 1) -> list[str]:
    numbers = []
    with app.app_context():
        owner = find_user(world.owner)
        for index in range(count):
            unit = db.session.get(Unit, world.unit_ids_a[index])
            register_unit(owner, unit, purchased_on=date.today() - timedelta(days=60), retailer="Shop", proof=RECEIPT)
            claim = warranty.file_claim(owner, unit, category="does_not_work", started_on=None,
                                        description="The second hand stopped moving.")
            numbers.append(claim.number)
        db.session.commit()
    return numbers


def launch_campaign(app, world, *, remedy_available: bool = True, number: str = "R-1") -> None:
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        campaign = recalls.save_draft(acme, actor="test", **GPSR_NOTICE, number=number, title="Strap pin",
                                      hazard="The strap may detach.", criteria={"model_ids": [world.model_id_a]})
        recalls.launch(campaign, remedy_available=remedy_available, actor="test")
        campaign.launched_at = utcnow() - timedelta(days=2)  # so a workshop can report work of yesterday
        db.session.commit()


# --- Claims ---------------------------------------------------------------------------------------

def test_claims_are_listed_page_by_page_and_read_with_their_timeline(app, world, api):
    numbers = file_claims(app, world, 3)
    page = api.get("/api/v1/claims?limit=2").get_json()
    assert [c["number"] for c in page["items"]] == numbers[:2]
    rest = api.get(page["next"]).get_json()
    assert [c["number"] for c in rest["items"]] == numbers[2:] and rest["next"] is None
    claim = api.get(f"/api/v1/claims/{numbers[0]}").get_json()
    assert claim["state"] == "submitted" and claim["unit"] == {"gtin": world.gtin_a, "serial": world.serials_a[0]}
    assert "approved" in claim["next_states"] and "withdrawn" not in claim["next_states"]
    assert claim["timeline"][0]["to_state"] == "submitted"
    assert "owner" not in {k for k in claim if k != "timeline"} and world.owner not in str(claim)
    assert [c["number"] for c in api.get("/api/v1/claims?state=approved").get_json()["items"]] == []


def test_a_partner_moves_a_claim_in_the_name_of_the_tokens_issuer(app, world, api, mailbox):
    number = file_claims(app, world)[0]
    response = api.post(f"/api/v1/claims/{number}/transitions", json={"to": "approved"},
                        headers={"Idempotency-Key": "approve-1"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "approved" and body["rma_number"] and body["timeline"][-1]["author_role"] == "agent"
    repair = api.post(f"/api/v1/claims/{number}/transitions", json={"to": "in_repair"}).get_json()
    assert repair["state"] == "in_repair"
    with app.app_context():
        claim = db.session.scalar(select(WarrantyClaim).where(WarrantyClaim.number == number))
        assert claim.state is ClaimState.IN_REPAIR
        assert db.session.scalar(select(Notification).where(Notification.template == "claim_update")) is not None
        authors = db.session.scalars(select(ClaimEntry.author_id).where(ClaimEntry.claim_id == claim.id,
                                                                        ClaimEntry.author_role == "agent")).all()
        assert set(authors) == {find_user(world.staff_a["admin"]).id}


def test_moves_the_state_does_not_allow_or_only_the_owner_may_make_are_refused(app, world, api):
    number = file_claims(app, world)[0]
    as_problem(api.post(f"/api/v1/claims/{number}/transitions", json={"to": "repaired"}), 409, "conflict")
    as_problem(api.post(f"/api/v1/claims/{number}/transitions", json={"to": "withdrawn"}), 403, "not-allowed")
    missing_note = as_problem(api.post(f"/api/v1/claims/{number}/transitions", json={"to": "rejected"}),
                              422, "invalid")
    assert missing_note["errors"][0]["field"] == "note"
    as_problem(api.post(f"/api/v1/claims/{number}/transitions", json={"to": "sideways"}), 422, "validation")


def test_claims_of_another_tenant_are_not_found_and_reading_needs_its_scope(app, world, client):
    number = file_claims(app, world)[0]
    bravo = ApiClient(client, make_token(app, world, tenant="bravo"))
    as_problem(bravo.get(f"/api/v1/claims/{number}"), 404, "not-found")
    as_problem(bravo.post(f"/api/v1/claims/{number}/transitions", json={"to": "approved"}), 404, "not-found")
    assert bravo.get("/api/v1/claims").get_json()["items"] == []
    reader = ApiClient(client, make_token(app, world, ["claims:read"]))
    as_problem(reader.post(f"/api/v1/claims/{number}/transitions", json={"to": "approved"}), 403,
               "insufficient-scope")


# --- Recalls --------------------------------------------------------------------------------------

def test_recall_status_is_public_and_the_same_as_the_lookup_pages_json(app, world, client):
    launch_campaign(app, world)
    path = f"{world.gtin_a}/{world.serials_a[0]}"
    api_answer = client.get(f"/api/v1/recalls/{path}")
    page_answer = client.get(f"/recalls/lookup?format=json&gtin={world.gtin_a}&serial={world.serials_a[0]}")
    assert api_answer.status_code == 200 and api_answer.get_json() == page_answer.get_json()
    assert api_answer.get_json()["open_recalls"] == 1
    as_problem(client.get(f"/api/v1/recalls/{world.gtin_a}/NOPE"), 404, "not-found")
    as_problem(client.get(f"/api/v1/recalls/{world.gtin_a[:-1]}9/X"), 422, "invalid")


def test_campaigns_are_listed_with_their_progress(app, world, api):
    launch_campaign(app, world)
    campaigns = api.get("/api/v1/campaigns").get_json()["items"]
    assert [(c["number"], c["affected"], c["remedied"]) for c in campaigns] == [("R-1", 3, 0)]


def test_a_workshop_records_a_remedy_once(app, world, api):
    launch_campaign(app, world)
    done = (utcnow() - timedelta(hours=3)).replace(microsecond=0)
    body = {"campaign": "R-1", "gtin": world.gtin_a, "serial": world.serials_a[0], "by": "Workshop Meier",
            "where": "Bern", "when": done.isoformat(), "what": "Strap pin replaced"}
    response = api.post("/api/v1/remedies", json=body)
    assert response.status_code == 201
    result = response.get_json()
    assert result["state"] == "remedied" and result["by"] == "Workshop Meier" and result["where"] == "Bern"
    with app.app_context():
        ru = db.session.scalar(select(RecallUnit).where(RecallUnit.unit_id == world.unit_ids_a[0]))
        assert ru.state is RecallUnitState.REMEDIED and ru.remedied_at == done
        event = db.session.scalar(select(UnitEvent).where(UnitEvent.unit_id == world.unit_ids_a[0])
                                  .order_by(UnitEvent.id.desc()))
        assert event.occurred_at == done and "Strap pin replaced" in event.note and event.place == "Bern"
    assert api.get("/api/v1/campaigns").get_json()["items"][0]["remedied"] == 1
    as_problem(api.post("/api/v1/remedies", json=body), 409, "conflict")


@pytest.mark.parametrize("change, status, kind", [
    ({"campaign": "R-404"}, 404, "not-found"),
    ({"when": "2199-01-01T00:00:00Z"}, 422, "invalid"),
    ({"when": "2001-01-01T00:00:00Z"}, 422, "invalid"),
    ({"by": "  "}, 422, "invalid"),
])
def test_remedy_refusals(app, world, api, change, status, kind):
    launch_campaign(app, world)
    body = {"campaign": "R-1", "gtin": world.gtin_a, "serial": world.serials_a[0], "by": "Workshop", **change}
    as_problem(api.post("/api/v1/remedies", json=body), status, kind)


def test_a_remedy_before_it_is_available_is_refused(app, world, api):
    launch_campaign(app, world, remedy_available=False)
    body = {"campaign": "R-1", "gtin": world.gtin_a, "serial": world.serials_a[0], "by": "Workshop"}
    assert "not available" in as_problem(api.post("/api/v1/remedies", json=body), 409, "conflict")["detail"]


def test_a_unit_outside_the_campaign_is_named(app, world, api):
    launch_campaign(app, world)
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        gtin_two = add_model(acme, gtin=gtin_for("4012345", 2), name="Acme Two", warranty_months=12, actor="test").gtin
        create_unit(acme, gtin=gtin_two, serial="TWO-1", actor="test")
        db.session.commit()
    body = {"campaign": "R-1", "gtin": gtin_two, "serial": "TWO-1", "by": "Workshop"}
    assert as_problem(api.post("/api/v1/remedies", json=body), 422, "invalid")["errors"][0]["field"] == "serial"


def test_a_unit_under_open_recall_is_not_sold(app, world, api):
    launch_campaign(app, world)
    sale = {"gtin": world.gtin_a, "serial": world.serials_a[1], "retailer": "Shop", "sold_on": date.today().isoformat()}
    assert "open recall" in as_problem(api.post("/api/v1/sales", json=sale), 409, "conflict")["detail"]
