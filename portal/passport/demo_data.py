"""The demo's passports: Velora's PowerPack 500 Wh with a complete battery passport, a few packs with dynamic
history, one repurposed into a second life and one recycled (portal/demo.py calls this)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.catalog.models import Lot, Manufacturer, ProductModel, Unit
from portal.extensions import db
from portal.passport import services
from portal.passport.fields import Kind

V = "https://velora.example"
PER, COND, TECH = "performanceAndDurability", "performanceAndDurability.batteryCondition", \
    "performanceAndDurability.batteryTechicalProperties"
GPI = "generalProductInformation"

POWERPACK = {
    f"{GPI}.batteryCategory": "lmt",
    f"{GPI}.manufacturerInformation.identifier": "DE-VELORA-4061234",
    f"{GPI}.manufacturerInformation.contactName": "Velora E-Bikes GmbH",
    f"{GPI}.manufacturerInformation.webAddress": V,
    f"{GPI}.manufacturerInformation.postalAddress.streetAddress": "Werkstrasse 12",
    f"{GPI}.manufacturerInformation.postalAddress.postalCode": "80339",
    f"{GPI}.manufacturerInformation.postalAddress.addressCountry": "DE",
    f"{GPI}.operatorInformation.identifier": "DE-VELORA-4061234",
    f"{GPI}.operatorInformation.contactName": "Velora E-Bikes GmbH",
    f"{GPI}.operatorInformation.webAddress": V,
    f"{GPI}.operatorInformation.postalAddress.streetAddress": "Werkstrasse 12",
    f"{GPI}.operatorInformation.postalAddress.postalCode": "80339",
    f"{GPI}.operatorInformation.postalAddress.addressCountry": "DE",
    f"{GPI}.manufacturingPlace.streetAddress": "Zellenweg 3",
    f"{GPI}.manufacturingPlace.postalCode": "09599",
    f"{GPI}.manufacturingPlace.addressCountry": "DE",
    f"{GPI}.batteryMass": 2.9,
    f"{GPI}.warrentyPeriod": "--12",
    "carbonFootprint.batteryCarbonFootprint": 78.4,
    "carbonFootprint.absoluteCarbonFootprint": 39.2,
    "carbonFootprint.carbonFootprintPerLifecycleStage": [
        {"lifecycleStage": "RawMaterialExtraction", "carbonFootprint": 46.1},
        {"lifecycleStage": "MainProduction", "carbonFootprint": 24.9},
        {"lifecycleStage": "Distribution", "carbonFootprint": 2.6},
        {"lifecycleStage": "Recycling", "carbonFootprint": 4.8}],
    "carbonFootprint.carbonFootprintPerformanceClass": "B",
    "carbonFootprint.carbonFootprintStudy": f"{V}/battery/powerpack-500/carbon-footprint-study.pdf",
    "circularity.recycledContent": [
        {"recycledMaterial": "Cobalt", "preConsumerShare": 6, "postConsumerShare": 10},
        {"recycledMaterial": "Lithium", "preConsumerShare": 2, "postConsumerShare": 4},
        {"recycledMaterial": "Nickel", "preConsumerShare": 3, "postConsumerShare": 5},
        {"recycledMaterial": "Lead", "preConsumerShare": 0, "postConsumerShare": 0}],
    "circularity.renewableContent": 12,
    "circularity.endOfLifeInformation.wastePrevention": f"{V}/battery/waste-prevention",
    "circularity.endOfLifeInformation.separateCollection": f"{V}/battery/separate-collection",
    "circularity.endOfLifeInformation.informationOnCollection": f"{V}/battery/take-back",
    "circularity.safetyMeasures.extinguishingAgent": ["Water (large amounts)", "Class D powder"],
    "circularity.safetyMeasures.safetyInstructions": f"{V}/battery/powerpack-500/safety.pdf",
    "circularity.dismantlingAndRemovalInformation": [
        {"documentType": "DismantlingManual", "mimeType": "application/pdf",
         "documentURL": f"{V}/service/powerpack-500/dismantling.pdf"},
        {"documentType": "BillOfMaterial", "mimeType": "text/csv",
         "documentURL": f"{V}/service/powerpack-500/bom.csv"}],
    "circularity.sparePartSources": [
        {"nameOfSupplier": "Velora Service Parts", "emailAddressOfSupplier": "parts@velora.example",
         "supplierWebAddress": f"{V}/parts",
         "addressOfSupplier": {"streetAddress": "Werkstrasse 12", "postalCode": "80339", "addressCountry": "DE"},
         "components": [{"partName": "Battery management board BMS-36", "partNumber": "VP-BMS-36-02"},
                        {"partName": "Housing with charging port", "partNumber": "VP-HSG-500-01"}]}],
    "labels.labels": [
        {"labelingSymbol": f"{V}/labels/crossed-out-bin.svg",
         "labelingMeaning": {"en": "Collect separately", "de": "Getrennt sammeln", "fr": "Collecte séparée"},
         "labelingSubject": "SeparateCollection"},
        {"labelingSymbol": f"{V}/labels/carbon-class-b.svg", "labelingMeaning": "Carbon footprint class B",
         "labelingSubject": "CarbonFootPrint"}],
    "labels.declarationOfConformity": f"{V}/battery/powerpack-500/eu-declaration-of-conformity.pdf",
    "labels.resultOfTestReport": f"{V}/compliance/powerpack-500/test-report-UN38.3-IEC62133.pdf",
    "materialComposition.batteryChemistry.shortName": "NMC811",
    "materialComposition.batteryChemistry.clearName": "Lithium nickel manganese cobalt oxide (8:1:1), graphite anode",
    "materialComposition.hazardousSubstances": [
        {"hazardousSubstanceClass": "AcuteToxicity", "hazardousSubstanceName": "Lithium hexafluorophosphate",
         "hazardousSubstanceConcentration": 1.2, "hazardousSubstanceIdentifier": "21324-40-3",
         "hazardousSubstanceImpact": ["Toxic if swallowed", "Releases hydrogen fluoride in a fire"],
         "hazardousSubstanceLocation": {"componentName": "Electrolyte", "componentId": "CELL-21700"}}],
    "materialComposition.batteryMaterials": [
        {"batteryMaterialName": "Cobalt", "batteryMaterialIdentifier": "7440-48-4", "batteryMaterialMass": 61,
         "isCriticalRawMaterial": True, "batteryMaterialLocation": {"componentName": "Cathode"}},
        {"batteryMaterialName": "Lithium", "batteryMaterialIdentifier": "7439-93-2", "batteryMaterialMass": 74,
         "isCriticalRawMaterial": True, "batteryMaterialLocation": {"componentName": "Cathode"}},
        {"batteryMaterialName": "Nickel", "batteryMaterialIdentifier": "7440-02-0", "batteryMaterialMass": 488,
         "isCriticalRawMaterial": True, "batteryMaterialLocation": {"componentName": "Cathode"}},
        {"batteryMaterialName": "Natural graphite", "batteryMaterialIdentifier": "7782-42-5",
         "batteryMaterialMass": 540, "isCriticalRawMaterial": True, "batteryMaterialLocation": {"componentName": "Anode"}}],
    f"{TECH}.ratedCapacity": 13.9,
    f"{TECH}.ratedEnergy": 0.5,
    f"{TECH}.ratedMaximumPower": 0.75,
    f"{TECH}.nominalVoltage": 36,
    f"{TECH}.minimumVoltage": 30,
    f"{TECH}.maximumVoltage": 42,
    f"{TECH}.expectedLifetime": 6,
    f"{TECH}.expectedNumberOfCycles": 1000,
    f"{TECH}.capacityThresholdForExhaustion": 70,
    f"{TECH}.initialSelfDischarge": 2,
    f"{TECH}.roundtripEfficiency": 94,
    f"{TECH}.powerCapabilityRatio": 88,
    f"{TECH}.cRateLifeCycleTest": 0.5,
    f"{TECH}.temperatureRangeIdleState": 25,
    f"{TECH}.lifetimeReferenceTest": f"{V}/compliance/powerpack-500/cycle-life-test.pdf",
    f"{TECH}.initialInternalResistance": [{"ohmicResistance": 0.085, "batteryComponent": "pack"},
                                          {"ohmicResistance": 0.018, "batteryComponent": "cell"}],
    f"{TECH}.cRate": 1,
    f"{TECH}.originalPowerCapability": [{"atSoC": 80, "powerCapabilityAt": 0.75},
                                        {"atSoC": 20, "powerCapabilityAt": 0.6}],
    "supplyChainDueDiligence.supplyChainDueDiligenceReport": f"{V}/sustainability/due-diligence-2026.pdf",
    "supplyChainDueDiligence.thirdPartyAussurances": f"{V}/sustainability/assurance-2026.pdf",
    "supplyChainDueDiligence.supplyChainIndicies": 0.82,
    "registry.commodityCode": "85076000",
    "registry.facilityIdentifier": "DE-VELORA-CELL-FREIBERG",
}

#: (serial, [(state of health %, full cycles, minutes above the extreme high temperature)...], negative events)
HISTORY = [
    ("PP5-E8-00042", [(99.1, 38, 0), (97.6, 162, 12), (96.2, 311, 12)], []),
    ("PP5-E8-00420", [(98.0, 120, 0), (93.4, 540, 45)], ["deepDischarge"]),
    ("PP5-TX1-00015", [(97.2, 210, 30), (91.8, 690, 95)], ["overcharge", "accident"]),
]
REPURPOSED, SECOND_LIFE, RECYCLED = "PP5-E8-00420", "PP5-2L-00001", "PP5-TX1-00015"


def load(velora: Manufacturer, pack_model: ProductModel) -> None:
    services.set_kind(velora, pack_model, Kind.BATTERY, actor="demo")
    services.save_static(velora, pack_model, POWERPACK, actor="demo", source="demo")
    lot = "CELL-A2"
    if _lot_exists(pack_model, lot):
        services.save_static(velora, pack_model, {"carbonFootprint.batteryCarbonFootprint": 76.9}, lot=lot,
                             actor="demo", source="demo")
    for serial, readings, negative in HISTORY:
        unit = _unit(pack_model, serial)
        for n, (health, cycles, hot) in enumerate(readings):
            services.save_dynamic(unit, condition(health, cycles, hot, n), actor="demo", source="demo")
        if negative:
            services.save_dynamic(unit, {f"{COND}.negativeEvents": [
                {"negativeEvent": n, "lastUpdate": "2026-03-14T08:30:00Z"} for n in negative]},
                actor="demo", source="demo")
    services.begin_new_life(_unit(pack_model, REPURPOSED), new_serial=SECOND_LIFE, reason="repurposed",
                            actor="demo", on=date(2026, 9, 1))
    services.recycle(_unit(pack_model, RECYCLED), actor="demo",
                     note="Recycled by Velora's take-back partner after an accident.")


def condition(health: float, cycles: int, hot: int, n: int = 0) -> dict:
    """A pack's condition as its battery management system reports it, every attribute of the data model."""
    when = f"2026-0{3 + n}-01T09:00:00Z"
    fade = round(100 - health, 1)
    return {
        f"{COND}.stateOfCertifiedEnergy.stateOfCertifiedEnergyValue": health,
        f"{COND}.numberOfFullCycles.numberOfFullCyclesValue": cycles,
        f"{COND}.remainingCapacity.remainingCapacityValue": round(0.5 * health / 100, 3),
        f"{COND}.remainingEnergy.remainingEnergyalue": round(0.5 * health / 100, 3),
        f"{COND}.capacityFade.capacityFadeValue": fade,
        f"{COND}.capacityThroughput.capacityThroughputValue": round(cycles * 13.9, 1),
        f"{COND}.energyThroughput": round(cycles * 0.5, 1),
        f"{COND}.stateOfCharge.stateOfChargeValue": 80,
        f"{COND}.temperatureInformation.timeExtremeHighTemp": hot,
        f"{COND}.temperatureInformation.timeExtremeLowTemp": 0,
        f"{COND}.temperatureInformation.timeExtremeHighTempCharging": hot // 3,
        f"{COND}.temperatureInformation.timeExtremeLowTempCharging": 0,
        f"{COND}.evolutionOfSelfDischarge.evolutionOfSelfDischargeEntityValue": 0.2,
        f"{COND}.currentSelfDischargingRate.currentSelfDischargingRateEntity": 2.2,
        f"{COND}.remainingRoundTripEnergyEfficiency.remainingRoundTripEnergyEfficiencyValue": round(94 - fade / 4, 1),
        f"{COND}.powerFade": round(fade * 0.8, 1),
        f"{COND}.roundTripEfficiencyFade": round(fade / 4, 1),
        f"{COND}.roundTripEfficiencyat50PerCentCycleLife": 92,
        f"{COND}.internalResistanceIncrease": [
            {"internalResistanceIncreaseValue": round(fade * 1.5, 1), "lastUpdate": when, "batteryComponent": "pack"}],
        f"{COND}.remainingPowerCapability": [{"remainingPowerCapabilityValue": {
            "atSoC": 80, "powerCapabilityAt": round(0.75 * health / 100, 3), "rPCLastUpdated": when},
            "lastUpdate": when}],
        f"{COND}.negativeEvents": [],
        f"{GPI}.puttingIntoService": "2025-05-02T10:00:00Z",
    }


def _unit(model: ProductModel, serial: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.model_id == model.id, Unit.serial == serial))


def _lot_exists(model: ProductModel, code: str) -> bool:
    return db.session.scalar(select(Lot.id).where(Lot.model_id == model.id, Lot.code == code)) is not None
