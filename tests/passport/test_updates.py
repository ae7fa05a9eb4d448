"""Keeping passports current: the API for dynamic data (scoped tokens, Idempotency-Key, per-field problems),
EPCIS sensor reports on a pack, and the console's forms, import and reading rights (audit-logged)."""
from __future__ import annotations

import io
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.accounts.services import find_user
from portal.api.models import Scope
from portal.api.tokens import issue_token
from portal.catalog.epcis.capture import capture_document
from portal.catalog.models import Manufacturer
from portal.catalog.queries import unit_with
from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.passport import queries
from portal.passport.models import PassportGrant, PassportVersion
from portal.passport.sensors import SENSOR_VOCAB
from tests.factories import login

COND = "performanceAndDurability.batteryCondition"
SOH = f"{COND}.stateOfCertifiedEnergy.stateOfCertifiedEnergyValue"
CYCLES = f"{COND}.numberOfFullCycles.numberOfFullCyclesValue"


def _token(app, battery, scopes, tenant_id=None) -> str:
    with app.app_context():
        tenant = db.session.get(Manufacturer, tenant_id or battery.tenant_id)
        _, secret = issue_token(tenant, name="Service partner", scopes=scopes, expires_on=date(2027, 6, 1),
                                actor=find_user(battery.admin))
        db.session.commit()
    return secret


def _versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PassportVersion))


def _post(client, battery, secret, fields, serial=None, **headers):
    return client.post(f"/api/v1/passports/{battery.gtin}/{serial or battery.serials[1]}/dynamic",
                       json={"fields": fields}, headers={"Authorization": f"Bearer {secret}", **headers})


def test_a_service_partner_posts_dynamic_data_once_per_idempotency_key(app, client, battery):
    secret = _token(app, battery, [Scope.PASSPORTS_WRITE])
    before = _versions(app)
    first = _post(client, battery, secret, {SOH: 95.5, CYCLES: {"value": 120, "unit": "cycles"}},
                  **{"Idempotency-Key": "bms-read-7"})
    again = _post(client, battery, secret, {SOH: 95.5, CYCLES: {"value": 120, "unit": "cycles"}},
                  **{"Idempotency-Key": "bms-read-7"})
    assert first.status_code == 201 and first.get_json()["changed"] == sorted([SOH, CYCLES])
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_json() == first.get_json()
    assert _versions(app) == before + 1
    with app.app_context():
        history = queries.history(queries.passport_of(unit_with(battery.gtin, battery.serials[1])))
    assert history[0].source == "api" and history[0].actor and history[0].changed == tuple(sorted([SOH, CYCLES]))


def test_scopes_bound_what_a_token_may_do(app, client, battery):
    reader = _token(app, battery, [Scope.PASSPORTS_READ])
    assert _post(client, battery, reader, {SOH: 90}).status_code == 403
    assert client.get(f"/api/v1/passports/{battery.gtin}/{battery.serials[1]}",
                      headers={"Authorization": f"Bearer {reader}"}).status_code == 200
    other = _token(app, battery, [Scope.UNITS_READ])
    assert client.get(f"/api/v1/passports/{battery.gtin}/{battery.serials[1]}",
                      headers={"Authorization": f"Bearer {other}"}).status_code == 403
    assert client.post(f"/api/v1/passports/{battery.gtin}/{battery.serials[1]}/dynamic",
                       json={"fields": {SOH: 90}}).status_code == 401


def test_refused_fields_are_a_422_problem_naming_each_and_nothing_is_stored(app, client, battery):
    secret = _token(app, battery, [Scope.PASSPORTS_WRITE])
    before = _versions(app)
    response = _post(client, battery, secret, {SOH: 120, CYCLES: {"value": 3, "unit": "kWh"},
                                               "generalProductInformation.batteryStatus": "Broken",
                                               "labels.resultOfTestReport": "https://x.example/r.pdf"})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    named = {e["field"]: e["detail"] for e in response.get_json()["errors"]}
    assert set(named) == {SOH, CYCLES, "generalProductInformation.batteryStatus", "labels.resultOfTestReport"}
    assert named["labels.resultOfTestReport"] == "is kept per model or lot"
    assert _versions(app) == before


def test_another_tenants_unit_is_not_found(app, client, battery):
    from portal.catalog.services import create_tenant

    with app.app_context():
        other = create_tenant("other", "Other Co", ["4088888"], actor="test")
        db.session.commit()
        other_id = other.id
    with app.app_context():
        from portal.accounts.models import Role
        from portal.accounts.services import add_staff
        add_staff(db.session.get(Manufacturer, other_id), battery.admin, Role.ADMIN, actor="test")
        db.session.commit()
    secret = _token(app, battery, [Scope.PASSPORTS_WRITE], tenant_id=other_id)
    assert _post(client, battery, secret, {SOH: 90}).status_code == 404


def _sensor_document(gtin: str, serial: str, reports: list[dict]) -> dict:
    epc = f"urn:epc:id:sgtin:{gtin[1:8]}.{gtin[0]}{gtin[8:13]}.{serial}"
    return {"@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"], "type": "EPCISDocument",
            "schemaVersion": "2.0", "creationDate": "2026-11-02T08:00:00Z", "epcisBody": {"eventList": [{
                "type": "ObjectEvent", "eventID": f"urn:uuid:bms-{serial}-{len(reports)}",
                "eventTime": "2026-11-02T07:55:00Z", "eventTimeZoneOffset": "+01:00", "action": "OBSERVE",
                "bizStep": "inspecting", "epcList": [epc],
                "sensorElementList": [{"sensorMetadata": {"time": "2026-11-02T07:50:00Z"},
                                       "sensorReport": reports}]}]}}


def test_an_epcis_sensor_report_on_a_pack_updates_its_passport(app, battery):
    with app.app_context():
        tenant = db.session.get(Manufacturer, battery.tenant_id)
        report = capture_document(tenant, _sensor_document(battery.gtin, battery.serials[2], [
            {"type": SENSOR_VOCAB + "stateOfCertifiedEnergy", "value": 93.25, "uom": "P1"},
            {"type": SENSOR_VOCAB + "numberOfFullCyclesValue", "value": 402, "uom": "C62"},
            {"type": SENSOR_VOCAB + "timeExtremeHighTemp", "value": 1.5, "uom": "HUR"},
            {"type": SENSOR_VOCAB + "negativeEvent", "stringValue": "overcharge"},
            {"type": "gs1:MT-Temperature", "value": 41.0, "uom": "CEL"}]), actor="test")
        db.session.commit()
        assert report.accepted == 1
        passport = queries.passport_of(unit_with(battery.gtin, battery.serials[2]))
        assert passport.data[SOH] == 93.25 and passport.data[CYCLES] == 402
        assert passport.data[f"{COND}.temperatureInformation.timeExtremeHighTemp"] == 90  # hours to minutes
        assert passport.data[f"{COND}.negativeEvents"] == [
            {"negativeEvent": "overcharge", "lastUpdate": "2026-11-02T07:50:00Z"}]
        assert queries.history(passport)[0].source == "epcis"


def test_a_bad_sensor_reading_changes_no_passport_but_the_event_stands(app, battery):
    with app.app_context():
        tenant = db.session.get(Manufacturer, battery.tenant_id)
        before = db.session.scalar(select(func.count()).select_from(PassportVersion))
        report = capture_document(tenant, _sensor_document(battery.gtin, battery.serials[2], [
            {"type": SENSOR_VOCAB + "stateOfCertifiedEnergy", "value": 93, "uom": "KWH"}]), actor="test")
        db.session.commit()
        assert report.accepted == 1
        assert db.session.scalar(select(func.count()).select_from(PassportVersion)) == before
        refused = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "passport.sensor_refused"))
        assert "KWH" in refused.detail


def test_the_console_form_refuses_field_by_field_and_saves_a_version(app, client, battery):
    login(client, battery.admin)
    page = client.get(f"/console/volt/passports/{battery.model_id}")
    assert page.status_code == 200 and "generalProductInformation.batteryMass" in page.get_data(as_text=True)
    before = _versions(app)
    bad = client.post(f"/console/volt/passports/{battery.model_id}", data={
        "generalProductInformation.batteryMass": "-3", "circularity.renewableContent": "12"})
    assert bad.status_code == 400 and "must be at least 0" in bad.get_data(as_text=True)
    assert _versions(app) == before
    good = client.post(f"/console/volt/passports/{battery.model_id}", data={
        "generalProductInformation.batteryMass": "3100", "generalProductInformation.batteryMass@unit": "g"})
    assert good.status_code == 302 and _versions(app) == before + 1
    with app.app_context():
        assert queries.static_data(battery.model_id)[0]["generalProductInformation.batteryMass"] == 3.1


def test_an_import_with_one_bad_row_stores_nothing_and_reports_each_row(app, client, battery):
    login(client, battery.admin)
    before = _versions(app)
    csv_text = ("gtin,lot,field,value,unit\n"
                f"{battery.gtin},,circularity.renewableContent,14,%\n"
                f"{battery.gtin},L1,carbonFootprint.batteryCarbonFootprint,77.7,\n"
                f"{battery.gtin},NOLOT,carbonFootprint.batteryCarbonFootprint,70,\n")
    response = client.post("/console/volt/passports/import", data={"file": (io.BytesIO(csv_text.encode()),
                                                                              "data.csv")})
    assert response.status_code == 400 and "NOLOT" in response.get_data(as_text=True)
    assert _versions(app) == before
    rows = [{"gtin": battery.gtin, "fields": {"circularity.renewableContent": 14}},
            {"gtin": battery.gtin, "lot": "L1", "fields": {"carbonFootprint.batteryCarbonFootprint": 77.7}}]
    response = client.post("/console/volt/passports/import", data={"file": (io.BytesIO(json.dumps(rows).encode()),
                                                                              "data.json")})
    assert response.status_code == 200 and _versions(app) == before + 2


def test_granting_and_revoking_a_reader_is_audit_logged_and_platform_grants_need_a_platform_admin(app, client,
                                                                                                  battery):
    login(client, battery.admin)
    client.post("/console/volt/passports/access", data={"email": battery.nobody, "tier": "legitimate_interest",
                                                        "role": "repairer"})
    with app.app_context():
        grant = db.session.scalar(select(PassportGrant).where(PassportGrant.role == "repairer"))
        grant_id = grant.id
    client.post("/console/volt/passports/access/revoke", data={"grant": grant_id})
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("passport.access_%"))).all()
        assert actions.count("passport.access_granted") == 3 and "passport.access_revoked" in actions
        assert db.session.get(PassportGrant, grant_id).revoked_at is not None
        from portal.core.errors import NotAllowed
        from portal.passport import services
        with pytest.raises(NotAllowed):
            services.grant(battery.nobody, "authority", "commission", manufacturer=None,
                           actor=find_user(battery.admin))
    assert client.get("/admin/passport-access").status_code == 404  # a tenant admin is no platform admin


def test_a_platform_admin_grants_every_manufacturers_passports(app, client, battery):
    from portal.accounts.services import create_user

    with app.app_context():
        admin = create_user("platform@provenance.test", "correct horse battery", verified=True)
        admin.is_platform_admin = True
        db.session.commit()
    login(client, "platform@provenance.test")
    assert client.get("/admin/passport-access").status_code == 200
    client.post("/admin/passport-access", data={"email": battery.nobody, "tier": "authority",
                                                "role": "market_surveillance"})
    reader = app.test_client()
    login(reader, battery.nobody)
    assert reader.get(battery.path() + "?format=json").get_json()["passport"]["tier"] == "authority"


def test_every_passport_console_url_answers_404_to_another_tenants_staff_and_opens_for_its_admin(app, client,
                                                                                                 battery):
    from portal.accounts.models import Role
    from portal.accounts.services import add_staff
    from portal.catalog.services import create_tenant

    with app.app_context():
        other = create_tenant("rival", "Rival Packs", ["4077777"], actor="test")
        add_staff(other, "admin@rival.test", Role.ADMIN, password="correct horse battery", actor="test")
        db.session.commit()
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/console/<tenant>/passports"):
            path = rule.rule.replace("<tenant>", "volt").replace("<int:model_id>", str(battery.model_id))
            urls += [(m, path) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    assert len(urls) >= 9
    rival = app.test_client()
    login(rival, "admin@rival.test")
    for method, path in urls:
        assert rival.open(path, method=method, data={}).status_code == 404, (method, path)
    login(client, battery.admin)
    for method, path in urls:
        if method == "GET":
            assert client.get(path).status_code == 200, path


def test_the_command_line_prints_the_registry_rows_and_writes_a_signed_backup(app, battery, tmp_path):
    runner = app.test_cli_runner()
    registry = runner.invoke(args=["passport", "registry", "volt"])
    assert registry.exit_code == 0, registry.output
    lines = registry.output.strip().splitlines()
    assert lines[0].startswith("unique_product_identifier,passport_identifier") and len(lines) == 4
    assert "85076000" in lines[1] and "/passport/01/" in lines[1]
    backup = runner.invoke(args=["passport", "backup", "volt", str(tmp_path / "copy.json")])
    assert backup.exit_code == 0, backup.output
    assert set(json.loads((tmp_path / "copy.json").read_text())) == {"protected", "payload", "signature"}
    assert runner.invoke(args=["passport", "registry", "nobody"]).exit_code != 0


def test_a_measurement_states_when_it_was_last_set(client, battery):
    login(client, battery.recycler)
    condition = client.get(battery.path() + "/performanceAndDurability.json").get_json()["batteryCondition"]
    assert condition["stateOfCertifiedEnergy"]["lastUpdate"].endswith("Z")
    assert set(condition["temperatureInformation"]) == {"timeExtremeHighTemp", "timeExtremeLowTemp",
                                                        "timeExtremeHighTempCharging", "timeExtremeLowTempCharging",
                                                        "lastUpdate"}
