"""Passport test data: a battery maker with a complete PowerPack passport (the demo's data), packs with dynamic
data, a signing key, and readers of every tier."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.accounts.models import Role
from portal.accounts.services import add_staff, create_user, find_user
from portal.authenticity.keys import create_key
from portal.catalog.services import add_model, create_tenant, create_unit
from portal.demo import gtin_for
from portal.extensions import db
from portal.passport import services
from portal.passport.demo_data import POWERPACK
from portal.passport.fields import Kind
from tests.factories import PASSWORD

COND = "performanceAndDurability.batteryCondition"
#: Optional fields the demo leaves out (the data model's published schema for them refuses every real address).
EMAILS = {"generalProductInformation.manufacturerInformation.emailAddress": "battery@volt.test",
          "generalProductInformation.operatorInformation.emailAddress": "battery@volt.test"}
DYNAMIC = {
    f"{COND}.stateOfCertifiedEnergy.stateOfCertifiedEnergyValue": 87.654,
    f"{COND}.numberOfFullCycles.numberOfFullCyclesValue": 4321,
    f"{COND}.remainingCapacity.remainingCapacityValue": 0.4383,
    f"{COND}.capacityFade.capacityFadeValue": 12.346,
    f"{COND}.remainingEnergy.remainingEnergyalue": 0.4377,
    f"{COND}.stateOfCharge.stateOfChargeValue": 55.5,
    f"{COND}.temperatureInformation.timeExtremeHighTemp": 777,
    f"{COND}.temperatureInformation.timeExtremeLowTemp": 666,
    f"{COND}.temperatureInformation.timeExtremeHighTempCharging": 555,
    f"{COND}.temperatureInformation.timeExtremeLowTempCharging": 444,
    f"{COND}.energyThroughput": 2160.5,
    f"{COND}.capacityThroughput.capacityThroughputValue": 60061.9,
    f"{COND}.evolutionOfSelfDischarge.evolutionOfSelfDischargeEntityValue": 0.371,
    f"{COND}.currentSelfDischargingRate.currentSelfDischargingRateEntity": 2.372,
    f"{COND}.remainingRoundTripEnergyEfficiency.remainingRoundTripEnergyEfficiencyValue": 90.373,
    f"{COND}.powerFade": 9.374,
    f"{COND}.roundTripEfficiencyFade": 3.375,
    f"{COND}.roundTripEfficiencyat50PerCentCycleLife": 91.376,
    f"{COND}.internalResistanceIncrease": [{"internalResistanceIncreaseValue": 18.377,
                                            "lastUpdate": "2026-04-01T09:00:00Z", "batteryComponent": "pack"}],
    f"{COND}.remainingPowerCapability": [{"remainingPowerCapabilityValue": {
        "atSoC": 80, "powerCapabilityAt": 0.66378, "rPCLastUpdated": "2026-04-01T09:00:00Z"},
        "lastUpdate": "2026-04-01T09:00:00Z"}],
    f"{COND}.negativeEvents": [{"negativeEvent": "deepDischarge", "lastUpdate": "2026-03-14T08:30:00Z"}],
    "generalProductInformation.puttingIntoService": "2025-05-02T10:00:00Z",
}


@dataclass
class Battery:
    gtin: str
    serials: list[str]
    model_id: int
    tenant_id: int
    admin: str = "admin@volt.test"
    recycler: str = "recycler@recycle.test"
    officer: str = "officer@authority.test"
    nobody: str = "reader@example.test"
    watch_gtin: str = ""

    def path(self, n: int = 0) -> str:
        return f"/passport/01/{self.gtin}/21/{self.serials[n]}"


def build_battery(app) -> Battery:
    with app.app_context():
        tenant = create_tenant("volt", "Volt Packs", ["4099999"], actor="test")
        model = add_model(tenant, gtin=gtin_for("4099999", 1), name="Volt Pack 500", warranty_months=24, actor="test")
        watch = add_model(tenant, gtin=gtin_for("4099999", 2), name="Volt Watch", warranty_months=24, actor="test")
        units = [create_unit(tenant, gtin=model.gtin, serial=f"VP-{n:03d}", lot="L1",
                             manufactured_on=date(2025, 3, 1), actor="test") for n in range(1, 4)]
        create_unit(tenant, gtin=watch.gtin, serial="W-001", actor="test")
        services.set_kind(tenant, model, Kind.BATTERY, actor="test")
        services.save_static(tenant, model, {**POWERPACK, **EMAILS}, actor="test")
        services.save_dynamic(units[0], DYNAMIC, actor="test")
        create_key(tenant, actor="test")
        add_staff(tenant, "admin@volt.test", Role.ADMIN, password=PASSWORD, actor="test")
        for email in ("recycler@recycle.test", "officer@authority.test", "reader@example.test"):
            create_user(email, PASSWORD, verified=True)
        admin = find_user("admin@volt.test")
        services.grant("recycler@recycle.test", "legitimate_interest", "recycler", manufacturer=tenant, actor=admin)
        services.grant("officer@authority.test", "authority", "market_surveillance", manufacturer=tenant, actor=admin)
        db.session.commit()
        return Battery(model.gtin, [u.serial for u in units], model.id, tenant.id, watch_gtin=watch.gtin)
