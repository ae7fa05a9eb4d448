"""Per-field validation (nothing stored on error), append-only versions with who and when, earlier versions
readable by the tiers that could read them, and the lifecycle: a new life and recycling."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.services import find_user
from portal.catalog.models import Manufacturer, ProductModel, Unit
from portal.catalog.queries import unit_with
from portal.core.audit import AuditEntry
from portal.core.errors import Conflict
from portal.extensions import db
from portal.passport import queries, services
from portal.passport.demo_data import POWERPACK
from portal.passport.models import PassportVersion
from portal.passport.services import PassportInvalid
from tests.factories import login

COND = "performanceAndDurability.batteryCondition"
SOH = f"{COND}.stateOfCertifiedEnergy.stateOfCertifiedEnergyValue"
ENERGY = "performanceAndDurability.batteryTechicalProperties.ratedEnergy"


def _versions() -> int:
    return db.session.scalar(select(func.count()).select_from(PassportVersion))


@pytest.mark.parametrize(("key", "value", "reason"), [
    (ENERGY, {"value": 500, "unit": "V"}, "unit 'V' is not a unit of this field"),
    ("circularity.renewableContent", 140, "must be at most 100"),
    ("generalProductInformation.batteryMass", -1, "must be at least 0"),
    ("generalProductInformation.batteryCategory", "portable", "'portable' is not one of"),
    ("circularity.recycledContent", [{"recycledMaterial": "Gold", "preConsumerShare": 1, "postConsumerShare": 1}],
     "'Gold' is not one of"),
    ("labels.declarationOfConformity", "ftp://x.example/doc", "must be an http or https address"),
    ("generalProductInformation.batteryMass", "heavy", "must be a number"),
    ("materialComposition.hazardousSubstances", [{"hazardousSubstanceClass": "AcuteToxicity"}], "lacks"),
    ("generalProductInformation.nonsense", 1, "is not a field of this passport"),
    (SOH, 90, "is kept per unit"),
])
def test_a_refused_static_field_stores_nothing_and_says_why(ctx, battery, key, value, reason):
    model = db.session.get(ProductModel, battery.model_id)
    tenant = db.session.get(Manufacturer, battery.tenant_id)
    before = _versions()
    with pytest.raises(PassportInvalid) as refused:
        services.save_static(tenant, model, {"carbonFootprint.carbonFootprintPerformanceClass": "A", key: value},
                             actor="test")
    assert reason in refused.value.fields[key]
    assert _versions() == before
    assert queries.static_data(model.id)[0]["carbonFootprint.carbonFootprintPerformanceClass"] == "B"


def test_missing_required_fields_are_named(ctx, battery):
    tenant = db.session.get(Manufacturer, battery.tenant_id)
    model = db.session.get(ProductModel, battery.model_id)
    fresh = ProductModel(manufacturer_id=tenant.id, gtin="04099999000036", name="Bare pack")
    db.session.add(fresh)
    db.session.flush()
    services.set_kind(tenant, fresh, "battery", actor="test")
    with pytest.raises(PassportInvalid) as refused:
        services.save_static(tenant, fresh, {"generalProductInformation.batteryMass": 3}, actor="test")
    assert refused.value.fields["generalProductInformation.batteryCategory"] == "is required"
    assert "generalProductInformation.batteryMass" not in refused.value.fields
    assert model is not None


def test_units_convert_and_a_dynamic_update_checks_ranges(ctx, battery):
    tenant = db.session.get(Manufacturer, battery.tenant_id)
    model = db.session.get(ProductModel, battery.model_id)
    services.save_static(tenant, model, {ENERGY: {"value": 520, "unit": "Wh"}}, actor="test")
    assert queries.static_data(model.id)[0][ENERGY] == 0.52
    unit = unit_with(battery.gtin, battery.serials[1])
    with pytest.raises(PassportInvalid) as refused:
        services.save_dynamic(unit, {SOH: 101, f"{COND}.negativeEvents": [{"negativeEvent": "meteor",
                                                                            "lastUpdate": "2026-01-01"}]},
                              actor="test")
    assert set(refused.value.fields) == {SOH, f"{COND}.negativeEvents"}
    assert queries.own_data(queries.Subject.UNIT, unit.id) == ({}, 0)


def test_every_change_is_a_new_version_with_who_and_when_and_earlier_ones_stay_readable(app, client, battery):
    with app.app_context():
        unit = unit_with(battery.gtin, battery.serials[0])
        first = queries.passport_of(unit)
        services.save_dynamic(unit, {SOH: 80.5}, actor=find_user(battery.admin), source="console")
        services.save_static(db.session.get(Manufacturer, battery.tenant_id),
                             db.session.get(ProductModel, battery.model_id),
                             {**POWERPACK, "circularity.renewableContent": 15}, actor="test")
        assert services.save_dynamic(unit, {SOH: 80.5}, actor="test") is None  # nothing changed: no version
        db.session.commit()
        now = queries.passport_of(unit)
        rows = queries.history(now)
    assert (first.version, now.version) == ("1.0.1", "2.0.2")
    assert rows[0].subject == "model" and rows[0].changed == ("circularity.renewableContent",)
    assert rows[1].actor == battery.admin and rows[1].source == "console" and rows[1].changed == (SOH,)
    old = client.get(battery.path() + "?format=json&version=1.0.1").get_json()
    assert old["passport"]["version"] == "1.0.1" and old["passport"]["latestVersion"] == "2.0.2"
    assert old["circularity"]["renewableContent"] == 12
    assert "batteryCondition" not in old["performanceAndDurability"]  # the old version keeps its tiers too
    login(client, battery.recycler)
    old = client.get(battery.path() + "?format=json&version=1.0.1").get_json()
    assert old["performanceAndDurability"]["batteryCondition"]["stateOfCertifiedEnergy"][
        "stateOfCertifiedEnergyValue"] == 87.654
    assert client.get(battery.path() + "?format=json&version=9.0.0").status_code == 404
    assert client.get(battery.path() + "?version=abc").status_code == 404


def test_a_lot_overrides_its_models_static_data(ctx, battery):
    tenant = db.session.get(Manufacturer, battery.tenant_id)
    model = db.session.get(ProductModel, battery.model_id)
    services.save_static(tenant, model, {"carbonFootprint.batteryCarbonFootprint": 70.1}, lot="L1", actor="test")
    passport = queries.passport_of(unit_with(battery.gtin, battery.serials[2]))
    assert passport.data["carbonFootprint.batteryCarbonFootprint"] == 70.1 and passport.version == "1.1.0"
    with pytest.raises(services.Invalid):
        services.save_static(tenant, model, {}, lot="NOPE", actor="test")


def test_repurposing_issues_a_new_passport_linked_both_ways(app, client, battery):
    with app.app_context():
        new = services.begin_new_life(unit_with(battery.gtin, battery.serials[0]), new_serial="VP-2L-001",
                                      reason="repurposed", actor="test")
        db.session.commit()
        assert new.serial == "VP-2L-001"
    original = client.get(battery.path() + "?format=json").get_json()
    second = client.get(f"/passport/01/{battery.gtin}/21/VP-2L-001?format=json").get_json()
    assert original["passport"]["successor"]["identifier"] == second["passport"]["identifier"]
    assert second["passport"]["predecessor"]["identifier"] == original["passport"]["identifier"]
    assert original["passport"]["identifier"] != second["passport"]["identifier"]
    login(client, battery.recycler)
    second = client.get(f"/passport/01/{battery.gtin}/21/VP-2L-001?format=json").get_json()
    assert second["generalProductInformation"]["batteryStatus"] == "Repurposed"
    assert second["performanceAndDurability"]["batteryCondition"]["numberOfFullCycles"][
        "numberOfFullCyclesValue"] == 4321  # the history carries over
    with app.app_context(), pytest.raises(Conflict):
        services.begin_new_life(unit_with(battery.gtin, battery.serials[0]), new_serial="VP-2L-002",
                                reason="repurposed", actor="test")


def test_recycling_ends_the_passport_with_a_410_tombstone_everywhere(app, client, battery):
    with app.app_context():
        services.recycle(unit_with(battery.gtin, battery.serials[1]), actor="test", note="Shredded at the plant")
        db.session.commit()
        unit = db.session.scalar(select(Unit).where(Unit.serial == battery.serials[1]))
        assert unit.status.value == "destroyed"
        assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "passport.ceased"))
    path = battery.path(1)
    page = client.get(path)
    assert page.status_code == 410 and "Shredded at the plant" in page.get_data(as_text=True)
    login(client, battery.officer)
    for url in (path + "?format=json", path + "/circularity.json", path + "/credential"):
        response = client.get(url)
        assert response.status_code == 410
        body = response.get_json()
        assert body["ceased"] is True and body["ceasedAt"] and set(body) == {
            "identifier", "productIdentifier", "ceased", "ceasedAt", "notice"}
    assert client.get(path + "/pdf").status_code == 410
    with app.app_context(), pytest.raises(Conflict):
        services.save_dynamic(unit_with(battery.gtin, battery.serials[1]), {SOH: 50}, actor="test")


def test_unknown_codes_and_models_without_a_passport_answer_404(client, battery):
    assert client.get(f"/passport/01/{battery.watch_gtin}/21/W-001").status_code == 404
    assert client.get(f"/passport/01/{battery.gtin}/21/NOPE").status_code == 404
    assert client.get("/passport/01/123/21/X?format=json").status_code == 404
    assert client.get(battery.path() + "/nonsense.json").status_code == 404


def test_a_watch_gets_the_espr_base_passport_with_its_own_tiers(app, client, battery):
    from portal.passport.fields import GENERIC, Tier

    with app.app_context():
        tenant = db.session.get(Manufacturer, battery.tenant_id)
        watch = db.session.scalar(select(ProductModel).where(ProductModel.gtin == battery.watch_gtin))
        services.set_kind(tenant, watch, "generic", actor="test")
        with pytest.raises(PassportInvalid) as refused:
            services.save_static(tenant, watch, {"identification.commodityCode": "91"}, actor="test")
        assert set(refused.value.fields) >= {"identification.commodityCode", "operator.facility.identifier"}
        services.save_static(tenant, watch, {
            "identification.commodityCode": "910211", "operator.manufacturer.identifier": "CH-VOLT-1",
            "operator.manufacturer.name": "Volt Watches SA", "operator.operator.identifier": "CH-VOLT-1",
            "operator.facility.identifier": "CH-VOLT-BIENNE",
            "materials.materials": [{"material": "Stainless steel 316L", "share": 72, "origin": "CH"}],
            "careAndRepair.repairInstructions": "https://volt.test/service/repair.pdf",
            "documents.technicalDocumentation": "https://volt.test/compliance/technical-file.pdf"}, actor="test")
        db.session.commit()
    doc = client.get(f"/passport/01/{battery.watch_gtin}/21/W-001?format=json").get_json()
    assert doc["passport"]["kind"] == "generic" and doc["identification"]["commodityCode"] == "910211"
    given = {"identification.productIdentifier", "identification.passportIdentifier", "identification.productName",
             "identification.commodityCode", "operator.manufacturer.identifier", "operator.manufacturer.name",
             "operator.operator.identifier", "operator.facility.identifier", "materials.materials"}
    for f in GENERIC:
        node = doc.get(f.aspect, {})
        for part in f.path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        assert (node is not None) is (f.tier == Tier.PUBLIC and f.key in given), f.key
    login(client, battery.officer)
    doc = client.get(f"/passport/01/{battery.watch_gtin}/21/W-001?format=json").get_json()
    assert doc["documents"]["technicalDocumentation"].endswith("technical-file.pdf")
    assert doc["careAndRepair"]["repairInstructions"].endswith("repair.pdf")
