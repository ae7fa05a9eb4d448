"""errorDeclaration: the declared event is marked, never deleted; the history shows it struck through with
the reason; status and parent links are recomputed from the events still standing; the verdict and recall
targeting read the corrected state."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.authenticity.keys import create_key
from portal.authenticity.labels import issue_label, label_uri
from portal.catalog.epcis.models import CapturedEvent
from portal.catalog.models import Manufacturer, Unit, UnitEvent
from portal.extensions import db
from portal.recalls.models import RecallCampaign
from portal.recalls.targeting import affected_units
from tests.factories import login
from tests.support.epcis import FORMS, MOVEMENT, capture, document, events_of, unit_state, wrap


def declared(event: dict, *, reason: str = "incorrect_data", corrective: list[str] | None = None) -> dict:
    """The GS1 shape of an error declaration: the event as it was sent, with an errorDeclaration added."""
    return dict(event, errorDeclaration={"declarationTime": "2025-03-07T09:00:00Z", "reason": reason,
                                         "correctiveEventIDs": corrective or []})


def test_declaring_a_shipping_erroneous_restores_the_status_and_strikes_it_through(app, client, world, token):
    shipping = events_of("urn", "02-shipping")[0]
    capture(client, token, wrap([shipping]))
    assert unit_state(app, world.gtin_a, "ACME-0001")["status"] == "in_transit"

    job = capture(client, token, wrap([declared(shipping, corrective=["urn:uuid:fix-1"])]))

    assert job["success"] is True and job["declaredErroneous"] == 1
    state = unit_state(app, world.gtin_a, "ACME-0001")
    assert state["status"] == "active"
    shipped = [e for e in state["events"] if "shipping" in e[2] or e[0] == "shipping"]
    assert shipped and shipped[0][3].startswith("Declared erroneous by its sender (incorrect data)")
    assert "urn:uuid:fix-1" in shipped[0][3]
    with app.app_context():  # marked, never deleted
        row = db.session.scalar(select(CapturedEvent).where(CapturedEvent.event_id == shipping["eventID"]))
        assert row.declared_at is not None and "incorrect_data" in row.declaration
        assert db.session.scalar(select(func.count()).select_from(UnitEvent)
                                 .where(UnitEvent.epcis_event_id == row.id)) == 2

    login(client, world.staff_a["admin"])
    page = client.get(f"/console/acme/units/{state['id']}").get_data(as_text=True)
    assert "<del>EPCIS ObjectEvent " + shipping["eventID"] in page and "Withdrawn:" in page


def test_a_later_event_that_gave_no_disposition_does_not_keep_a_withdrawn_status(app, client, world, token):
    shipping = events_of("urn", "02-shipping")[0]
    seen = dict(shipping, eventID="urn:uuid:seen-later", eventTime="2025-03-06T10:00:00Z", bizStep="inspecting")
    del seen["disposition"]
    capture(client, token, wrap([shipping, seen]))

    capture(client, token, wrap([declared(shipping)]))

    assert unit_state(app, world.gtin_a, "ACME-0002")["status"] == "active"


def test_declaring_twice_changes_nothing_more(app, client, world, token):
    shipping = events_of("urn", "02-shipping")[0]
    capture(client, token, wrap([shipping]))
    capture(client, token, wrap([declared(shipping)]))

    job = capture(client, token, wrap([declared(shipping)]))

    assert job["duplicates"] == 1 and job["declaredErroneous"] == 0


def test_a_declaration_of_an_event_never_captured_is_kept_declared_and_changes_no_unit(app, client, world, token):
    shipping = events_of("urn", "02-shipping")[0]

    job = capture(client, token, wrap([declared(shipping)]))

    assert job["success"] is True and "kept as declared erroneous" in job["notes"][0]["detail"]
    assert unit_state(app, world.gtin_a, "ACME-0001")["status"] == "active"
    with app.app_context():
        row = db.session.scalar(select(CapturedEvent).where(CapturedEvent.event_id == shipping["eventID"]))
        assert row.declared_at is not None


@pytest.mark.parametrize("form", FORMS)
def test_a_withdrawn_assembly_unlinks_the_part_and_recall_targeting_follows(app, client, world, token, form):
    capture(client, token, document(form, "01-commissioning"))
    assembly = events_of(form, "04-assembly-sgtin")[0]
    capture(client, token, wrap([assembly]))
    assert unit_state(app, MOVEMENT, "MOV-0001")["parent"] == (world.gtin_a, "W-0100")
    watch_id = unit_state(app, world.gtin_a, "W-0100")["id"]

    def targeted() -> set[int]:
        with app.app_context():
            acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
            movement_model = db.session.scalar(select(Unit.model_id).where(Unit.serial == "MOV-0001"))
            campaign = RecallCampaign(manufacturer_id=acme.id, criteria=json.dumps(
                {"model_ids": [movement_model], "include_assemblies": True}))
            return set(db.session.scalars(affected_units(campaign)))

    assert watch_id in targeted()

    capture(client, token, wrap([declared(assembly)]))

    assert unit_state(app, MOVEMENT, "MOV-0001")["parent"] is None
    assert watch_id not in targeted()


def test_withdrawing_a_removal_puts_the_part_back(app, client, world, token):
    capture(client, token, document("urn", "01-commissioning"))
    assembly = events_of("urn", "04-assembly-sgtin")[0]
    removal = dict(assembly, eventID="urn:uuid:removal", action="DELETE", bizStep="removing",
                   eventTime="2025-03-05T10:00:00Z", eventTimeZoneOffset="+00:00")
    capture(client, token, wrap([assembly, removal]))
    assert unit_state(app, MOVEMENT, "MOV-0001")["parent"] is None

    capture(client, token, wrap([declared(removal)]))

    assert unit_state(app, MOVEMENT, "MOV-0001")["parent"] == (world.gtin_a, "W-0100")


def test_a_withdrawn_commissioning_leaves_the_unit_inactive_but_kept(app, client, world, token):
    commissioning = events_of("urn", "01-commissioning")[0]
    capture(client, token, wrap([commissioning]))

    capture(client, token, wrap([declared(commissioning, reason="did_not_occur")]))

    state = unit_state(app, MOVEMENT, "MOV-0002")
    assert state["status"] == "inactive"
    assert "did not occur" in state["events"][0][3]


def test_the_verdict_reads_the_corrected_status(app, client, world, token):
    with app.app_context():
        create_key(db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme")), actor="test")
        unit = db.session.get(Unit, world.unit_ids_a[0])
        parts = urlsplit(label_uri(unit.model.gtin, unit.serial, issue_label(unit, actor="test")))
        db.session.commit()
    path = f"{parts.path}?{parts.query}"
    destroyed = dict(events_of("urn", "02-shipping")[0], eventID="urn:uuid:destroyed", bizStep="destroying",
                     disposition="destroyed", epcList=[f"urn:epc:id:sgtin:4012345.000001.{world.serials_a[0]}"])
    capture(client, token, wrap([destroyed]))
    before = client.get(path, headers={"Accept": "application/json"}).get_json()
    assert "destroyed" in [w["code"] for w in before["warnings"]]

    capture(client, token, wrap([declared(destroyed)]))

    after = client.get(path, headers={"Accept": "application/json"}).get_json()
    assert "destroyed" not in [w["code"] for w in after["warnings"]]


def test_the_owners_page_shows_a_withdrawn_event_struck_through_with_the_reason(app, client, world, token):
    from datetime import date

    from portal.accounts.services import find_user
    from portal.ownership.services import register_unit

    with app.app_context():
        ownership = register_unit(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[0]),
                                  purchased_on=date(2025, 2, 1), retailer="Shop")
        db.session.commit()
        ownership_id = ownership.id
    shipping = events_of("urn", "02-shipping")[0]
    capture(client, token, wrap([shipping]))
    capture(client, token, wrap([declared(shipping)]))

    login(client, world.owner)
    page = client.get(f"/my/units/{ownership_id}").get_data(as_text=True)

    assert 'class="retracted"' in page and "<del>EPCIS ObjectEvent" in page
    assert "Withdrawn by its sender: Declared erroneous by its sender (incorrect data)" in page


def association(parent: str, children: list[str], *, event_id: str, action: str = "ADD",
                when: str = "2025-03-04T10:00:00Z", kind: str = "AssociationEvent") -> dict:
    event = {"type": kind, "eventID": event_id, "action": action, "eventTime": when,
             "eventTimeZoneOffset": "+00:00", "parentID": parent}
    if children:
        event["childEPCs"] = children
    return event


WATCH = "urn:epc:id:sgtin:4012345.000001.W-0100"
MOV_1, MOV_2 = "urn:epc:id:sgtin:4012345.000002.MOV-0001", "urn:epc:id:sgtin:4012345.000002.MOV-0002"


def test_an_association_with_a_unit_links_the_part_and_its_withdrawal_unlinks_it(app, client, world, token):
    """EPCIS 2.0: an AssociationEvent with a unit as parentID is a lasting physical association (an installed
    part), so it sets the parent link as an AggregationEvent does; recomputed once it is withdrawn."""
    capture(client, token, document("urn", "01-commissioning"))
    installed = association(WATCH, [MOV_1], event_id="urn:uuid:installed")
    capture(client, token, wrap([installed]))
    assert unit_state(app, MOVEMENT, "MOV-0001")["parent"] == (world.gtin_a, "W-0100")

    capture(client, token, wrap([declared(installed)]))

    assert unit_state(app, MOVEMENT, "MOV-0001")["parent"] is None


def test_an_association_with_a_place_or_asset_links_nothing(app, client, world, token):
    capture(client, token, document("urn", "01-commissioning"))
    job = capture(client, token, wrap([association("urn:epc:id:sgln:4012345.00001.0", [MOV_1],
                                                   event_id="urn:uuid:at-a-place")]))
    assert job["captured"] == 1
    state = unit_state(app, MOVEMENT, "MOV-0001")
    assert state["parent"] is None and "Associated with urn:epc:id:sgln:4012345.00001.0" in state["events"][-1][2]


def test_withdrawing_an_aggregation_leaves_the_association_that_still_stands(app, client, world, token):
    """Parents are recomputed from every standing linking event, whatever its type."""
    capture(client, token, document("urn", "01-commissioning"))
    built = association(WATCH, [MOV_1], event_id="urn:uuid:built", kind="AggregationEvent",
                        when="2025-03-04T09:00:00Z")
    out = association(WATCH, [MOV_1], event_id="urn:uuid:out", kind="AggregationEvent", action="DELETE",
                      when="2025-03-04T10:00:00Z")
    again = association(WATCH, [MOV_1], event_id="urn:uuid:again", when="2025-03-04T11:00:00Z")
    capture(client, token, wrap([built, out, again]))
    assert unit_state(app, MOVEMENT, "MOV-0001")["parent"] == (world.gtin_a, "W-0100")

    capture(client, token, wrap([declared(built)]))

    assert unit_state(app, MOVEMENT, "MOV-0001")["parent"] == (world.gtin_a, "W-0100")
    capture(client, token, wrap([declared(again)]))
    assert unit_state(app, MOVEMENT, "MOV-0001")["parent"] is None


def test_a_delete_without_children_takes_every_child_out_and_its_withdrawal_puts_them_back(app, client, world, token):
    capture(client, token, document("urn", "01-commissioning"))
    capture(client, token, wrap([association(WATCH, [MOV_1, MOV_2], event_id="urn:uuid:both",
                                             kind="AggregationEvent", when="2025-03-04T09:00:00Z")]))
    emptied = association(WATCH, [], event_id="urn:uuid:emptied", kind="AggregationEvent", action="DELETE")

    job = capture(client, token, wrap([emptied]))

    assert job["captured"] == 1
    assert unit_state(app, MOVEMENT, "MOV-0001")["parent"] is None
    assert unit_state(app, MOVEMENT, "MOV-0002")["parent"] is None
    assert "Taken out of" in unit_state(app, MOVEMENT, "MOV-0002")["events"][-1][2]

    capture(client, token, wrap([declared(emptied)]))

    assert unit_state(app, MOVEMENT, "MOV-0001")["parent"] == (world.gtin_a, "W-0100")
    assert unit_state(app, MOVEMENT, "MOV-0002")["parent"] == (world.gtin_a, "W-0100")


@pytest.mark.parametrize(("event", "words"), [
    (association(WATCH, [], event_id="urn:uuid:no-children"), "names its children"),
    ({**association(WATCH, [MOV_1], event_id="urn:uuid:no-parent"), "parentID": None}, "needs a parentID"),
])
def test_an_association_without_children_or_parent_where_the_standard_requires_them_fails(
        app, client, world, token, event, words):
    """GS1's conformance test TCR-54: ADD/OBSERVE without children, ADD/DELETE without parentID, are refused."""
    capture(client, token, document("urn", "01-commissioning"))
    job = capture(client, token, wrap([event]))
    assert job["captured"] == 0 and words in job["errors"][0]["detail"]
