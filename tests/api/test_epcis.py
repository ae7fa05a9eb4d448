"""EPCIS 2.0 capture through the API: GS1-style documents in URN and Digital Link form become unit history;
re-sent events change nothing; unknown units are per-event errors (or refuse everything when atomic)."""
from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from portal.catalog.epcis.models import CapturedEvent
from portal.catalog.models import Manufacturer, ProductModel, Unit, UnitEvent
from portal.catalog.services import add_model
from portal.demo import gtin_for
from portal.extensions import db
from tests.support.api import ApiClient, as_problem, make_token

FIXTURES = Path(__file__).parent / "epcis"
FORMS = ["urn", "digital-link"]
MOVEMENT = gtin_for("4012345", 2)
SSCC = "040123450000000016"
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]


@pytest.fixture
def world(world, app):
    """The two-tenant world, commissioned when its units were made (January 2025, before the documents'
    events), and acme's watch movements (a second product model)."""
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        add_model(acme, gtin=MOVEMENT, name="Movement", warranty_months=24, actor="test")
        db.session.execute(update(UnitEvent).values(occurred_at=datetime(2025, 1, 10, 12, tzinfo=UTC)))
        db.session.commit()
    return world


def fixture(form: str, name: str) -> dict:
    return json.loads((FIXTURES / form / f"{name}.jsonld").read_text())


def capture(api: ApiClient, document, *, atomic: bool | None = None, expect: int = 200):
    query = "" if atomic is None else f"?atomic={str(atomic).lower()}"
    response = api.client.post(f"/api/v1/epcis/capture{query}", data=json.dumps(document),
                               headers={"Authorization": f"Bearer {api.token}",
                                        "Content-Type": "application/ld+json"})
    assert response.status_code == expect, response.get_data(as_text=True)
    return response.get_json(force=True)


def unit(app, gtin: str, serial: str) -> dict | None:
    """The unit as plain values: status, parent (gtin, serial) and its events (step, disposition, when, place, note)."""
    with app.app_context():
        found = db.session.scalar(select(Unit).join(ProductModel, ProductModel.id == Unit.model_id)
                                  .where(ProductModel.gtin == gtin, Unit.serial == serial))
        if found is None:
            return None
        return {"status": found.status.value,
                "parent": (found.parent.model.gtin, found.parent.serial) if found.parent else None,
                "events": [(e.biz_step.value, e.disposition.value, e.occurred_at, e.place, e.note)
                           for e in found.events]}


def counts(app) -> dict:
    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                for m in (Unit, UnitEvent, CapturedEvent)}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- The GS1-style documents, in both identifier forms ------------------------------------------------

@pytest.mark.parametrize("form", FORMS)
def test_commissioning_creates_the_units_of_own_models_with_the_event_time_and_place(app, world, api, form):
    report = capture(api, fixture(form, "01-commissioning"))

    assert (report["events"], report["accepted"], report["rejected"], report["duplicates"]) == (1, 1, 0, 0)
    assert (report["units_created"], report["unit_events"]) == (3, 3)
    assert report["results"] == [{"index": 0, "event_id": fixture(form, "01-commissioning")["epcisBody"]
                                  ["eventList"][0]["eventID"], "result": "accepted"}]
    for gtin, serial in ((world.gtin_a, "W-0100"), (MOVEMENT, "MOV-0001"), (MOVEMENT, "MOV-0002")):
        made = unit(app, gtin, serial)
        assert made["status"] == "active" and made["parent"] is None
        [(step, disposition, when, place, note)] = made["events"]
        assert (step, disposition, place) == ("commissioning", "active", "urn:epc:id:sgln:4012345.00001.0")
        assert when == at("2025-03-02T09:15:00+01:00")
        assert "ObjectEvent urn:uuid:6c0b3a4e" in note
    assert api.get(f"/api/v1/units/{MOVEMENT}/MOV-0001").get_json()["status"] == "active"


@pytest.mark.parametrize("form", FORMS)
def test_shipping_is_recorded_on_known_units_and_their_status_follows(app, world, api, form):
    report = capture(api, fixture(form, "02-shipping"))

    assert (report["accepted"], report["units_created"], report["unit_events"]) == (1, 0, 2)
    for serial in world.serials_a[:2]:
        shipped = unit(app, world.gtin_a, serial)
        assert shipped["status"] == "in_transit"
        assert shipped["events"][-1][:4] == ("shipping", "in_transit", at("2025-03-05T16:30:00Z"),
                                             "urn:epc:id:sgln:4012345.00001.0")
    assert unit(app, world.gtin_a, world.serials_a[2])["status"] == "active"  # not named: untouched


@pytest.mark.parametrize("form", FORMS)
def test_packing_into_an_sscc_records_packing_and_builds_nothing_into_anything(app, world, api, form):
    report = capture(api, fixture(form, "03-packing-sscc"))

    assert (report["accepted"], report["unit_events"]) == (1, 2)
    packed = unit(app, world.gtin_a, world.serials_a[0])
    assert packed["parent"] is None and packed["status"] == "in_progress"
    step, disposition, _, _, note = packed["events"][-1]
    assert (step, disposition) == ("packing", "in_progress") and f"Packed into SSCC {SSCC}" in note


@pytest.mark.parametrize("form", FORMS)
def test_aggregation_under_a_unit_records_the_child_as_its_component(app, world, api, form):
    capture(api, fixture(form, "01-commissioning"))
    report = capture(api, fixture(form, "04-assembly-sgtin"))

    assert (report["accepted"], report["unit_events"]) == (1, 1)
    movement = unit(app, MOVEMENT, "MOV-0001")
    assert movement["parent"] == (world.gtin_a, "W-0100")
    assert movement["events"][-1][0] == "installing" and f"Built into {world.gtin_a}/W-0100" in movement["events"][-1][4]
    watch = api.get(f"/api/v1/units/{world.gtin_a}/W-0100").get_json()
    assert watch["components"] == [{"gtin": MOVEMENT, "serial": "MOV-0001"}]


@pytest.mark.parametrize("form", FORMS)
def test_transformation_records_its_inputs_and_creates_its_outputs(app, world, api, form):
    capture(api, fixture(form, "01-commissioning"))
    report = capture(api, fixture(form, "05-transformation"))

    assert (report["accepted"], report["units_created"], report["unit_events"]) == (1, 1, 2)
    made = unit(app, world.gtin_a, "W-0200")
    assert made["status"] == "active" and [e[0] for e in made["events"]] == ["other"]
    used = unit(app, MOVEMENT, "MOV-0002")
    assert used["events"][-1][0] == "other" and "bizStep transforming" in used["events"][-1][4]


def test_one_document_may_name_units_an_earlier_event_of_it_commissioned(app, world, api):
    events = [fixture("urn", name)["epcisBody"]["eventList"][0]
              for name in ("01-commissioning", "04-assembly-sgtin", "05-transformation")]
    report = capture(api, {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": events}})

    assert (report["accepted"], report["rejected"], report["units_created"]) == (3, 0, 4)
    assert unit(app, MOVEMENT, "MOV-0001")["parent"] == (world.gtin_a, "W-0100")


def test_a_bare_list_of_events_and_a_single_event_are_read_too(app, world, api):
    shipping = fixture("urn", "02-shipping")["epcisBody"]["eventList"][0]
    assert capture(api, [shipping])["accepted"] == 1
    packing = fixture("urn", "03-packing-sscc")["epcisBody"]["eventList"][0]
    assert capture(api, dict(packing, **{"@context": CONTEXT}))["accepted"] == 1


# --- Duplicates ------------------------------------------------------------------------------------

def test_capturing_the_same_event_again_changes_nothing(app, world, api):
    first = capture(api, fixture("urn", "01-commissioning"))
    before = counts(app)

    again = capture(api, fixture("urn", "01-commissioning"))

    assert (first["accepted"], again["accepted"], again["duplicates"], again["units_created"]) == (1, 0, 1, 0)
    assert again["results"][0]["result"] == "duplicate"
    assert counts(app) == before


def test_an_event_without_an_event_id_is_recognised_by_its_content(app, world, api):
    event = fixture("urn", "02-shipping")["epcisBody"]["eventList"][0]
    del event["eventID"]
    assert capture(api, [event])["accepted"] == 1
    before = counts(app)
    resent = dict(event, recordTime="2025-03-06T00:00:00Z")  # set by a repository on the way: not content
    assert capture(api, [resent])["duplicates"] == 1
    assert counts(app) == before


def test_the_same_event_id_of_another_tenant_is_its_own(app, world, api, client):
    event = fixture("urn", "02-shipping")["epcisBody"]["eventList"][0]
    capture(api, [event])
    bravo = ApiClient(client, make_token(app, world, ["events:write"], tenant="bravo"))
    bravo_event = dict(event, epcList=[f"https://id.gs1.org/01/{world.gtin_b}/21/{world.serial_b}"])
    assert capture(bravo, [bravo_event])["accepted"] == 1


# --- Per-event errors, and the atomic option -----------------------------------------------------

def mixed_document(world) -> dict:
    """Three shipping events; the middle one names an unknown serial and a unit of the other tenant."""
    template = fixture("urn", "02-shipping")["epcisBody"]["eventList"][0]
    events = []
    for n, epcs in enumerate([[f"urn:epc:id:sgtin:4012345.000001.{world.serials_a[0]}"],
                              ["urn:epc:id:sgtin:4012345.000001.NOPE-1", f"urn:epc:id:sgtin:5012345.000001.{world.serial_b}",
                               f"urn:epc:id:sgtin:4012345.000001.{world.serials_a[1]}"],
                              [f"https://id.gs1.org/01/{world.gtin_a}/21/{world.serials_a[2]}"]]):
        event = copy.deepcopy(template)
        event.update(eventID=f"urn:uuid:00000000-0000-4000-8000-00000000000{n}", epcList=epcs)
        events.append(event)
    return {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": events}}


def test_an_event_naming_units_that_are_not_yours_is_reported_and_the_others_land(app, world, api):
    report = capture(api, mixed_document(world))

    assert (report["accepted"], report["rejected"], report["unit_events"]) == (2, 1, 2)
    [error] = report["errors"]
    assert error["index"] == 1 and error["event_id"].endswith("0001") and error["type"] == "ObjectEvent"
    assert "NOPE-1" in error["detail"] and world.serial_b in error["detail"]
    assert world.serials_a[1] not in error["detail"]  # a known unit is not blamed
    assert "urn:epc:id:sgtin:4012345.000001.NOPE-1" in error["epcs"]
    assert [r["result"] for r in report["results"]] == ["accepted", "rejected", "accepted"]
    assert unit(app, world.gtin_a, world.serials_a[0])["status"] == "in_transit"
    assert unit(app, world.gtin_a, world.serials_a[1])["status"] == "active"  # its event was refused
    assert unit(app, world.gtin_a, world.serials_a[2])["status"] == "in_transit"
    assert [e[0] for e in unit(app, world.gtin_b, world.serial_b)["events"]] == ["commissioning"]


def test_an_atomic_capture_refuses_the_whole_document_when_one_event_fails(app, world, api):
    before = counts(app)
    response = api.client.post("/api/v1/epcis/capture?atomic=true", json=mixed_document(world),
                               headers={"Authorization": f"Bearer {api.token}"})

    body = as_problem(response, 422, "epcis-capture-refused")
    assert [e["field"] for e in body["errors"]] == ["epcisBody.eventList.1"]
    assert "NOPE-1" in body["errors"][0]["detail"] and body["errors"][0]["detail"].startswith("urn:uuid:")
    assert counts(app) == before
    assert capture(api, mixed_document(world), atomic=True, expect=422)
    assert capture(api, mixed_document(world), atomic=False)["accepted"] == 2  # the same without the option


def test_commissioning_a_gtin_that_is_not_one_of_your_models_is_an_event_error(app, world, api):
    event = fixture("urn", "01-commissioning")["epcisBody"]["eventList"][0]
    event["epcList"] = ["urn:epc:id:sgtin:5012345.000001.NEW-1"]  # bravo's GTIN
    report = capture(api, [event])

    assert report["accepted"] == 0 and world.gtin_b in report["errors"][0]["detail"]
    assert unit(app, world.gtin_b, "NEW-1") is None


def test_unreadable_identifiers_and_unsupported_events_are_event_errors(app, world, api):
    shipping = fixture("urn", "02-shipping")["epcisBody"]["eventList"][0]
    events = [dict(shipping, eventID="e-1", epcList=["urn:epc:id:sgtin:4012345.00001.X"]),  # 12 digits
              dict(shipping, eventID="e-2", type="SensorEvent"),
              dict(shipping, eventID="e-3", eventTime="yesterday"),
              dict(shipping, eventID="e-4", action="MOVE"),
              "not an event",
              dict(shipping, eventID="e-6")]
    report = capture(api, {"@context": CONTEXT, "type": "EPCISDocument", "epcisBody": {"eventList": events}})

    assert [r["result"] for r in report["results"]] == ["rejected"] * 5 + ["accepted"]
    details = [e["detail"] for e in report["errors"]]
    assert "13 digits" in details[0] and "SensorEvent" in details[1] and "eventTime" in details[2]
    assert "action" in details[3] and "JSON object" in details[4]


def test_a_component_already_built_into_another_unit_is_refused(app, world, api):
    capture(api, fixture("urn", "01-commissioning"))
    capture(api, fixture("urn", "04-assembly-sgtin"))
    event = fixture("urn", "04-assembly-sgtin")["epcisBody"]["eventList"][0]
    event.update(eventID="urn:uuid:second-assembly", parentID=f"urn:epc:id:sgtin:4012345.000001.{world.serials_a[0]}")
    inside_itself = dict(event, eventID="urn:uuid:loop", parentID="urn:epc:id:sgtin:4012345.000002.MOV-0001",
                         childEPCs=["urn:epc:id:sgtin:4012345.000001.W-0100"])

    report = capture(api, [event, inside_itself])

    assert [e["detail"].split(":")[0] for e in report["errors"]] == [
        "already built into another unit", "would put a unit inside itself"]
    assert unit(app, MOVEMENT, "MOV-0001")["parent"] == (world.gtin_a, "W-0100")


def test_taking_a_component_out_clears_its_parent(app, world, api):
    capture(api, fixture("urn", "01-commissioning"))
    capture(api, fixture("urn", "04-assembly-sgtin"))
    event = fixture("urn", "04-assembly-sgtin")["epcisBody"]["eventList"][0]
    event.update(eventID="urn:uuid:disassembly", action="DELETE", bizStep="removing")

    assert capture(api, [event])["accepted"] == 1
    assert unit(app, MOVEMENT, "MOV-0001")["parent"] is None


# --- Refusals of the request as a whole ------------------------------------------------------------

def test_malformed_json_is_a_400_problem_and_stores_nothing(app, world, api):
    before = counts(app)
    response = api.client.post("/api/v1/epcis/capture", data='{"type": "EPCISDocument", "epcisBody": {',
                               headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"})
    as_problem(response, 400, "malformed-json")
    assert counts(app) == before


@pytest.mark.parametrize("body", [{"hello": "world"}, {"type": "EPCISDocument"}, {"type": "EPCISDocument",
                                  "epcisBody": {"eventList": "none"}}, "EPCISDocument", 42])
def test_json_that_is_not_an_epcis_document_is_a_422_problem(app, world, api, body):
    before = counts(app)
    as_problem(api.post("/api/v1/epcis/capture", json=body), 422, "not-epcis")
    assert counts(app) == before


def test_a_body_that_is_not_json_is_a_415_problem(world, api):
    response = api.client.post("/api/v1/epcis/capture", data="<epcis:EPCISDocument/>",
                               headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/xml"})
    as_problem(response, 415, "unsupported-media-type")


def test_a_token_without_events_write_gets_403(app, world, client):
    reader = ApiClient(client, make_token(app, world, ["units:read", "units:write"]))
    before = counts(app)
    as_problem(reader.post("/api/v1/epcis/capture", json=fixture("urn", "01-commissioning")), 403,
               "insufficient-scope")
    assert counts(app) == before


def test_a_retry_with_the_same_idempotency_key_replays_the_first_report(app, world, api):
    document = fixture("digital-link", "01-commissioning")
    first = api.post("/api/v1/epcis/capture", json=document, headers={"Idempotency-Key": "line-3-batch-17"})
    again = api.post("/api/v1/epcis/capture", json=document, headers={"Idempotency-Key": "line-3-batch-17"})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json() and first.get_json()["accepted"] == 1


def test_an_event_older_than_the_units_latest_joins_its_history_without_changing_its_status(app, world, api):
    capture(api, fixture("urn", "02-shipping"))  # 5 March 2025: in transit
    late = fixture("urn", "03-packing-sscc")["epcisBody"]["eventList"][0]  # packed earlier that day

    assert capture(api, [late])["accepted"] == 1

    shipped = unit(app, world.gtin_a, world.serials_a[0])
    assert shipped["status"] == "in_transit"
    assert [e[0] for e in shipped["events"]] == ["commissioning", "packing", "shipping"]


def test_the_capture_has_its_own_body_limit_and_a_document_over_it_is_a_413_problem(app, world, api, monkeypatch):
    monkeypatch.setitem(app.config, "API_MAX_BODY_BYTES", 1024)
    monkeypatch.setitem(app.config, "API_MAX_EPCIS_BYTES", 1024)
    document = fixture("urn", "02-shipping")
    document["epcisBody"]["eventList"][0]["example:padding"] = "x" * 2048
    before = counts(app)
    as_problem(api.post("/api/v1/epcis/capture", json=document), 413, "payload-too-large")
    assert counts(app) == before
    monkeypatch.setitem(app.config, "API_MAX_EPCIS_BYTES", 8 * 1024 * 1024)
    assert api.post("/api/v1/epcis/capture", json=document).status_code == 200  # over the limit of other bodies


def test_a_capture_racing_another_for_the_same_event_is_refused_by_the_database_and_changes_nothing(
        app, world, api, monkeypatch):
    from portal.catalog.epcis import capture as capture_module

    capture(api, fixture("urn", "01-commissioning"))
    before = counts(app)
    # What a capture sees when another one commits the same event after it looked: nothing captured yet.
    monkeypatch.setattr(capture_module._Play, "_known_event_ids", lambda self: {})
    monkeypatch.setattr(capture_module._Play, "_load_units", lambda self, events: {})

    response = api.post("/api/v1/epcis/capture", json=fixture("urn", "01-commissioning"))

    as_problem(response, 409, "conflict")
    assert counts(app) == before
