"""POST /epcis/capture: 202 and a capture job; rollback (the default) and proceed; @context, the time zone
offset, isA; the five event types; media types, GS1 headers and limits; tenant isolation."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.catalog.epcis.models import CapturedEvent, CaptureJob
from portal.catalog.models import Unit, UnitEvent
from portal.extensions import db
from tests.support.epcis import FORMS, MOVEMENT, capture, document, events_of, post, sgtin, unit_state, wrap


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Unit, UnitEvent, CapturedEvent))


@pytest.mark.parametrize("form", FORMS)
def test_a_capture_answers_202_with_the_job_that_reports_success(app, client, world, token, form):
    response = post(client, token, document(form, "01-commissioning"))

    assert response.status_code == 202
    assert response.headers["Location"].startswith("/epcis/capture/")
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0" and response.headers["GS1-CBV-Version"] == "2.0.0"
    assert response.headers["GS1-EPCIS-Capture-Limit"] == "10000"
    job = client.get(response.headers["Location"], headers={"Authorization": f"Bearer {token}"}).get_json()
    assert (job["running"], job["success"], job["captureErrorBehaviour"], job["errors"]) == (False, True, "rollback", [])
    assert job["captured"] == 1 and job["unitsCreated"] == 3 and job["finishedAt"]
    assert unit_state(app, MOVEMENT, "MOV-0002")["status"] == "active"


def test_rollback_is_the_default_one_bad_event_refuses_the_document_and_names_it(app, client, world, token):
    good = events_of("urn", "02-shipping")[0]
    bad = dict(good, eventID="urn:uuid:no-offset")
    del bad["eventTimeZoneOffset"]
    before = counts(app)

    job = capture(client, token, wrap([good, bad]))

    assert (job["running"], job["success"], job["captured"]) == (False, False, 0)
    error = job["errors"][0]
    assert error["eventID"] == "urn:uuid:no-offset" and error["eventIndex"] == 1
    assert "eventTimeZoneOffset" in error["detail"] and error["type"] == "epcisException:ValidationException"
    assert "rollback" in job["errors"][-1]["detail"]
    assert counts(app) == before


def test_proceed_lands_the_good_events_and_reports_the_bad_ones(app, client, world, token):
    good = events_of("urn", "02-shipping")[0]
    stranger = dict(good, eventID="urn:uuid:bravo-unit", epcList=["urn:epc:id:sgtin:5012345.000001.BRAVO-0001"])

    job = capture(client, token, wrap([good, stranger]), behaviour="proceed")

    assert (job["running"], job["success"], job["captureErrorBehaviour"]) == (False, False, "proceed")
    assert job["captured"] == 1 and [e["eventID"] for e in job["errors"]] == ["urn:uuid:bravo-unit"]
    assert unit_state(app, world.gtin_a, "ACME-0001")["status"] == "in_transit"


def test_an_unreadable_event_is_still_named_by_the_event_id_it_carried(app, client, world, token):
    event = dict(events_of("urn", "02-shipping")[0], type="SensorEvent", eventID="urn:uuid:odd-type")

    job = capture(client, token, wrap([event]), behaviour="proceed")

    assert job["errors"][0]["eventID"] == "urn:uuid:odd-type"


@pytest.mark.parametrize("form", FORMS)
def test_isA_is_read_as_type_with_a_deprecation_note_in_the_job(app, client, world, token, form):
    event = events_of(form, "02-shipping")[0]
    event["isA"] = event.pop("type")

    job = capture(client, token, wrap([event]))

    assert job["success"] is True and job["captured"] == 1
    assert "isA" in job["notes"][0]["detail"] and job["notes"][0]["eventID"] == event["eventID"]
    assert unit_state(app, world.gtin_a, "ACME-0002")["status"] == "in_transit"


def test_a_document_without_context_is_refused_and_opens_no_job(app, client, world, token):
    body = document("urn", "02-shipping")
    del body["@context"]

    response = post(client, token, body)

    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert "@context" in response.get_json()["detail"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaptureJob)) == 0


@pytest.mark.parametrize("form", FORMS)
def test_the_five_event_types_are_stored_and_recorded_in_history(app, client, world, token, form):
    commissioning = events_of(form, "01-commissioning")
    assembly = events_of(form, "04-assembly-sgtin")
    transformation = events_of(form, "05-transformation")
    watch = sgtin(form, world.gtin_a, world.serials_a[0])
    association = {"type": "AssociationEvent", "eventID": "urn:uuid:assoc-1", "action": "ADD",
                   "eventTime": "2025-03-06T10:00:00Z", "eventTimeZoneOffset": "+00:00",
                   "parentID": "urn:epc:id:giai:4012345.SENSOR-7", "childEPCs": [watch], "bizStep": "assembling"}
    transaction = {"type": "TransactionEvent", "eventID": "urn:uuid:trans-1", "action": "ADD",
                   "eventTime": "2025-03-06T11:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [watch],
                   "bizStep": "shipping", "disposition": "in_transit",
                   "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO-9"}]}

    job = capture(client, token, wrap([*commissioning, *assembly, *transformation, association, transaction]))

    assert job["success"] is True, job["errors"]
    with app.app_context():
        kinds = set(db.session.scalars(select(CapturedEvent.event_type)))
    assert kinds == {"ObjectEvent", "AggregationEvent", "TransformationEvent", "AssociationEvent", "TransactionEvent"}
    notes = [e[2] for e in unit_state(app, world.gtin_a, world.serials_a[0])["events"]]
    assert any("Associated with urn:epc:id:giai:4012345.SENSOR-7" in n for n in notes)
    assert any("Joined transaction po urn:epcglobal:cbv:bt:4012345000009:PO-9" in n for n in notes)
    assert unit_state(app, world.gtin_a, world.serials_a[0])["status"] == "in_transit"


def test_xml_is_refused_with_415_and_says_what_to_send(app, client, world, token):
    response = post(client, token, "<epcis:EPCISDocument/>", content_type="application/xml")

    assert response.status_code == 415
    body = response.get_json(force=True)
    assert body["type"] == "epcisException:UnsupportedMediaTypeException" and "application/ld+json" in body["detail"]


def test_plain_json_is_accepted_like_json_ld(app, client, world, token):
    response = post(client, token, document("urn", "02-shipping"), content_type="application/json")
    assert response.status_code == 202


def test_a_version_other_than_2_0_is_refused(app, client, world, token):
    response = post(client, token, document("urn", "02-shipping"), headers={"GS1-EPCIS-Version": "1.2.0"})
    assert response.status_code == 406 and response.get_json()["type"] == "epcisException:NotAcceptableException"
    assert post(client, token, document("urn", "02-shipping"),
                headers={"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}).status_code == 202


def test_an_unknown_error_behaviour_is_refused(app, client, world, token):
    response = post(client, token, document("urn", "02-shipping"), headers={"GS1-Capture-Error-Behaviour": "maybe"})
    assert response.status_code == 422 and "rollback" in response.get_json()["detail"]


def test_more_events_than_the_capture_limit_are_refused_with_413(app, client, world, token):
    app.config["EPCIS_CAPTURE_LIMIT"] = 1
    try:
        event = events_of("urn", "02-shipping")[0]
        response = post(client, token, wrap([event, dict(event, eventID="urn:uuid:second")]))
    finally:
        app.config["EPCIS_CAPTURE_LIMIT"] = 10_000
    assert response.status_code == 413
    assert response.get_json()["type"] == "epcisException:CaptureLimitExceededException"


def test_options_on_capture_says_what_the_repository_takes(app, client):
    response = client.options("/epcis/capture")
    assert response.status_code == 204 and response.headers["GS1-EPCIS-Capture-Limit"] == "10000"
    assert "proceed" in response.headers["GS1-Capture-Error-Behaviour"]


def test_a_token_without_events_write_and_no_token_are_refused(app, client, world):
    from tests.support.api import make_token

    reader = make_token(app, world, ["events:read"])
    assert post(client, reader, document("urn", "02-shipping")).status_code == 403
    response = client.post("/epcis/capture", json=document("urn", "02-shipping"))
    assert response.status_code == 401 and response.get_json()["type"] == "epcisException:SecurityException"


def test_another_tenants_capture_job_is_not_found(app, client, world, token, bravo_token):
    response = post(client, token, document("urn", "02-shipping"))
    location = response.headers["Location"]

    assert client.get(location, headers={"Authorization": f"Bearer {bravo_token}"}).status_code == 404
    listed = client.get("/epcis/capture", headers={"Authorization": f"Bearer {bravo_token}"}).get_json()
    assert listed == []
    mine = client.get("/epcis/capture", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [j["captureID"] for j in mine] == [location.rsplit("/", 1)[1]]


def test_the_api_v1_route_stays_an_alias_with_its_own_report(app, client, world, token):
    response = client.post("/api/v1/epcis/capture", json=document("urn", "02-shipping"),
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_json()["accepted"] == 1


def test_identifiers_of_other_kinds_are_kept_but_name_no_unit(app, client, world, token):
    """A GIAI (an asset) beside a unit, as GS1's AssociationEvent examples send it; a broken SGTIN still fails."""
    watch = sgtin("urn", world.gtin_a, world.serials_a[1])
    event = {"type": "AssociationEvent", "eventID": "urn:uuid:assoc-giai", "action": "ADD",
             "eventTime": "2025-03-06T10:00:00Z", "eventTimeZoneOffset": "+00:00",
             "parentID": "urn:epc:id:grai:4012345.55555.1", "childEPCs": ["urn:epc:id:giai:4000001.12345", watch]}
    broken = dict(event, eventID="urn:uuid:assoc-broken", childEPCs=["urn:epc:id:sgtin:4012345.00001.X"])

    job = capture(client, token, wrap([event, broken]), behaviour="proceed")

    assert job["captured"] == 1 and [e["eventID"] for e in job["errors"]] == ["urn:uuid:assoc-broken"]
    assert "13 digits" in job["errors"][0]["detail"]
    notes = [e[2] for e in unit_state(app, world.gtin_a, world.serials_a[1])["events"]]
    assert any("Associated with urn:epc:id:grai:4012345.55555.1" in n for n in notes)
    found = client.get("/epcis/events?MATCH_epc=urn:epc:id:giai:4000001.12345",
                       headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [e["eventID"] for e in found["epcisBody"]["queryResults"]["resultsBody"]["eventList"]] == [
        "urn:uuid:assoc-giai"]
