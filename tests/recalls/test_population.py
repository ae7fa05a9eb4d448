"""Population and completion that cannot mislead: the unit of remedy, identifiers in another case, closing
and reopening with confirmation, the owner's remedy choice, and the e-mail's link to its notice."""
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.catalog.models import UnitEvent
from portal.catalog.services import declare_identifier_case, find_unit
from portal.core.audit import AuditEntry
from portal.core.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.notifications.services import deliver_due
from portal.recalls import remedies, services
from portal.recalls.models import CampaignState, RecallUnit, RecallUnitState
from portal.recalls.targeting import population
from tests.factories import login
from tests.support.recalls import BIKE, MANAGER, ebike, make_draft, own


def test_a_component_campaign_counts_one_unit_per_remedy_and_the_preview_shows_both_counts(fleet):
    with fleet.app_context():
        by_bike, by_pack = make_draft(lots=["PK1"]), make_draft(number="R-2", lots=["PK1"], remedy_unit="part")
        assert population(by_bike) == population(by_pack).__class__(parts=10, assemblies=10, counted="assembly")
        assert services.preview(by_pack)["count"] == 10 and population(by_pack).counted == "part"
        services.launch(by_pack, remedy_available=True, actor="test")
        units = db.session.scalars(select(RecallUnit).where(RecallUnit.campaign_id == by_pack.id)).all()
        assert len(units) == 10  # the packs, not the packs and the bikes holding them
        assert {u.unit.serial[:2] for u in units} == {"P-"} and {u.holder.serial[:2] for u in units} == {"B-"}


def test_remedying_a_pack_remedies_its_place_in_the_bike_and_completion_counts_it_once(fleet):
    with fleet.app_context():
        campaign = make_draft(lots=["CELL-A"])  # counted by the bike that holds each affected cell
        assert services.launch(campaign, remedy_available=True, actor="test") == 4
        recall_unit = remedies.find_by_serial(campaign, "P-002")  # the dealer types the pack's serial
        assert recall_unit.unit.serial == "B-002"
        remedies.record_remedy(recall_unit, by="dealer", place="Velo Centrum", note="Pack replaced")
        stats = services.completion(campaign)
        assert (stats["affected"], stats["remedied"], stats["rate"]) == (4, 1, 0.25)
        notes = db.session.scalars(select(UnitEvent.note).where(UnitEvent.unit_id == find_unit(BIKE, "B-002").id))
        assert any("R-1 remedy" in n for n in notes)


def test_by_part_the_owner_of_the_bike_is_reached_and_the_pack_remedy_shows_on_the_bike(fleet, mailbox):
    with fleet.app_context():
        own("ann@example.test", BIKE, "B-001")
        campaign = make_draft(lots=["PK1"], remedy_unit="part")
        services.launch(campaign, remedy_available=True, actor="test")
        db.session.commit()
        deliver_due()
        remedies.record_remedy(remedies.find_by_serial(campaign, "P-001"), by="dealer")
        bike_events = db.session.scalars(select(UnitEvent.note).where(
            UnitEvent.unit_id == find_unit(BIKE, "B-001").id)).all()
        db.session.commit()
    assert "P-001 (in your Bike, serial B-001)" in mailbox.last_to("ann@example.test").get_body(("plain",)).get_content()
    assert any("of Pack P-001" in note for note in bike_events)


def test_lots_and_serials_match_in_any_case_when_the_manufacturer_declares_it(fleet):
    with fleet.app_context():
        lower = make_draft(lots=["cell-a"])
        assert services.preview(lower)["count"] == 0
        assert services.preview(lower)["hints"] == [("cell-a", "CELL-A")]  # "did you mean CELL-A?"
        spaced = make_draft(number="R-2", lots=["CELL A"], serial_ranges=[{"from": "b-001", "to": "b-003"}])
        assert ("CELL A", "CELL-A") in services.preview(spaced)["hints"]
        assert ("b-001", "B-001") in services.preview(spaced)["hints"]
        declare_identifier_case(ebike(), True, actor="test")
        assert services.preview(lower)["count"] == 4 and services.preview(lower)["hints"] == []
        ranged = make_draft(number="R-3", model_ids=[find_unit(BIKE, "B-001").model_id],
                            serial_ranges=[{"from": "b-002", "to": "b-004"}])
        assert services.preview(ranged)["count"] == 3


def test_recording_a_lowercase_serial_finds_the_unit_or_says_what_was_meant(fleet):
    with fleet.app_context():
        campaign = make_draft(lots=["CELL-A"])
        services.launch(campaign, remedy_available=True, actor="test")
        with pytest.raises(NotFound, match="Did you mean B-003"):
            remedies.find_by_serial(campaign, "b-003")
        with pytest.raises(NotFound, match="not affected"):
            remedies.find_by_serial(campaign, "B-009")
        declare_identifier_case(ebike(), True, actor="test")
        assert remedies.find_by_serial(campaign, "b-003").unit.serial == "B-003"
        assert remedies.find_by_serial(campaign, "c-003").unit.serial == "B-003"  # the cell inside it


def test_closing_needs_the_confirmed_rate_and_a_reason_and_reopening_is_audited(fleet):
    with fleet.app_context():
        campaign = make_draft(lots=["CELL-A"])
        services.launch(campaign, remedy_available=True, actor="test")
        with pytest.raises(Invalid, match="Confirm closing at 0%"):
            services.close(campaign, actor="test")
        with pytest.raises(Invalid, match="Confirm closing"):
            services.close(campaign, actor="test", confirmed_rate=0.5, reason="done")
        with pytest.raises(Invalid, match="4 units are not remedied"):
            services.close(campaign, actor="test", confirmed_rate=0.0)
        services.close(campaign, actor="test", confirmed_rate=0.0, reason="Product withdrawn from all markets")
        assert campaign.state is CampaignState.CLOSED
        with pytest.raises(Invalid):
            services.reopen(campaign, actor="test", reason=" ")
        services.reopen(campaign, actor="test", reason="Closed by mistake")
        assert campaign.state is CampaignState.ACTIVE and campaign.closed_at is None
        entries = {e.action: json.loads(e.detail) for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.in_(["recall.closed", "recall.reopened"])))}
        assert entries["recall.closed"]["completion"] == 0.0 and entries["recall.closed"]["open_units"] == 4
        assert entries["recall.closed"]["reason"] == "Product withdrawn from all markets"
        assert entries["recall.reopened"]["reason"] == "Closed by mistake"


def test_the_console_asks_before_closing_and_styles_it_as_destructive(fleet):
    with fleet.app_context():
        campaign = make_draft(lots=["CELL-A"])
        services.launch(campaign, remedy_available=True, actor="test")
        remedies.record_remedy(db.session.scalars(select(RecallUnit)).first(), by="x")
        db.session.commit()
        campaign_id = campaign.id
    client = fleet.test_client()
    login(client, MANAGER)
    base = f"/console/ebike/recalls/{campaign_id}"
    dashboard = client.get(base).get_data(as_text=True)
    assert re.search(r'class="button danger block" id="close-campaign"', dashboard)
    page = client.get(f"{base}/close").get_data(as_text=True)
    assert "25%" in page and "3 of 4 affected units are not remedied" in page
    assert client.post(f"{base}/close", data={"confirm_rate": "0.2500", "reason": "x"}).status_code == 400
    assert client.post(f"{base}/close").status_code == 400
    done = client.post(f"{base}/close", data={"confirm_rate": "0.2500", "confirm": "y", "reason": "Market exit"})
    assert done.status_code == 302
    assert client.post(f"{base}/reopen", data={"confirm": "y", "reason": ""}).status_code == 400
    assert client.post(f"{base}/reopen", data={"confirm": "y", "reason": "Too early"}).status_code == 302
    with fleet.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("recall.%"))))
    assert "recall.closed" in actions and "recall.reopened" in actions


def test_the_owners_remedy_choice_and_date_persist_and_drive_the_workflow(fleet):
    day = date.today() + timedelta(days=10)
    with fleet.app_context():
        own("ann@example.test", BIKE, "B-001")
        campaign = make_draft(lots=["CELL-A"])
        services.launch(campaign, remedy_available=True, actor="test")
        ru_id = remedies.find_by_serial(campaign, "B-001").id
        db.session.commit()
    client = fleet.test_client()
    login(client, "ann@example.test")
    saved = client.post(f"/my/recalls/{ru_id}", data={"choice": "replace", "option": "Dealer",
                                                       "preferred_date": day.isoformat()})
    assert saved.status_code == 302
    page = client.get(f"/my/recalls/{ru_id}").get_data(as_text=True)
    assert '<option selected value="replace">' in page and f'value="{day.isoformat()}"' in page  # shown back
    assert '<option selected value="Dealer">' in page
    client.post(f"/my/recalls/{ru_id}", data={"choice": "refund", "option": "Dealer"})  # changed her mind
    with fleet.app_context():
        ru = db.session.get(RecallUnit, ru_id)
        assert (ru.remedy_choice, ru.preferred_date, ru.state) == ("refund", None, RecallUnitState.ACKNOWLEDGED)
        with pytest.raises(Conflict, match="chose a refund"):
            remedies.schedule_remedy(ru, day, actor="desk")
        with pytest.raises(Conflict, match="owner chose refund"):
            remedies.record_remedy(ru, by="dealer", kind="repair")
        db.session.rollback()
    client.post(f"/my/recalls/{ru_id}", data={"choice": "repair", "preferred_date": day.isoformat()})
    with fleet.app_context():
        ru = db.session.get(RecallUnit, ru_id)
        remedies.schedule_remedy(ru, day, actor="desk")
        db.session.commit()
    refused = client.post(f"/my/recalls/{ru_id}", data={"choice": "refund"})
    assert refused.status_code == 409 and "booked" in refused.get_data(as_text=True)
    with fleet.app_context():
        ru = db.session.get(RecallUnit, ru_id)
        remedies.record_remedy(ru, by="dealer")
        assert (ru.state, ru.remedy_kind) == (RecallUnitState.REMEDIED, "repair")


def test_the_recall_email_links_straight_to_the_owners_notice(fleet, mailbox):
    with fleet.app_context():
        own("ann@example.test", BIKE, "B-002")
        campaign = make_draft(lots=["CELL-A"])
        services.launch(campaign, remedy_available=True, actor="test")
        ru_id = remedies.find_by_serial(campaign, "B-002").id
        db.session.commit()
        deliver_due()
    text = mailbox.last_to("ann@example.test").get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/my/recalls/campaign/\d+", text).group(0)
    client = fleet.test_client()
    login(client, "ann@example.test")
    answer = client.get("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/my/recalls/{ru_id}")
    other = fleet.test_client()
    login(other, "ben@example.test")
    assert other.get("/" + link.split("://", 1)[1].split("/", 1)[1]).status_code == 404


def test_a_tenant_admin_declares_the_identifiers_case_insensitive_from_the_recall_desk(fleet):
    from portal.accounts.models import Role
    from portal.accounts.services import add_staff
    from tests.factories import PASSWORD

    with fleet.app_context():
        add_staff(ebike(), "admin@ebike.test", Role.ADMIN, password=PASSWORD, actor="test")
        db.session.commit()
    manager = fleet.test_client()
    login(manager, MANAGER)
    assert manager.post("/console/ebike/recalls/identifier-case", data={"case_insensitive": "yes"}).status_code == 403
    admin = fleet.test_client()
    login(admin, "admin@ebike.test")
    assert "match only as written" in admin.get("/console/ebike/recalls").get_data(as_text=True)
    assert admin.post("/console/ebike/recalls/identifier-case", data={"case_insensitive": "yes"}).status_code == 302
    with fleet.app_context():
        assert ebike().identifiers_case_insensitive
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "tenant.identifier_case"))


def test_an_owner_erasing_her_account_leaves_the_part_she_owned_through_her_bike_counted_as_owned(fleet):
    from portal.privacy.erasure import erase_account
    from tests.factories import PASSWORD

    with fleet.app_context():
        own("ann@example.test", BIKE, "B-001")
        campaign = make_draft(lots=["PK1"], remedy_unit="part")
        services.launch(campaign, remedy_available=True, actor="test")
        pack = remedies.find_by_serial(campaign, "P-001")
        remedies.choose_remedy(find_user("ann@example.test"), pack, choice="repair",
                               preferred_date=date.today() + timedelta(days=3))
        erase_account(find_user("ann@example.test"), PASSWORD)
        db.session.expire_all()
        pack = db.session.get(RecallUnit, pack.id)
        assert pack.owner_erased_at is not None and pack.preferred_date is None


def test_a_part_inside_a_recalled_assembly_reads_the_recall_and_so_does_its_lot(fleet):
    from portal.recalls.status import public_recalls, recall_status
    from tests.support.recalls import CELL

    with fleet.app_context():
        services.launch(make_draft(lots=["CELL-A"]), remedy_available=True, actor="test")  # counted by the bike
        cell = find_unit(CELL, "C-001")
        assert recall_status(cell)["status"] == "Recall incomplete"
        assert recall_status(find_unit(CELL, "C-007"))["status"] == "No open recalls for this unit"  # CELL-B
        assert [r["campaign"] for r in public_recalls(cell.model_id, "CELL-A")] == ["R-1"]
        assert public_recalls(cell.model_id, "CELL-B") == []
        assert [r["campaign"] for r in public_recalls(cell.model_id)] == ["R-1"]
