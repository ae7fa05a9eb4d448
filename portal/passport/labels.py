"""What the page and the PDF call each field, in the reader's language (the JSON keeps the data model's names).
Keyed by the attribute's name, or by `<parent>.<name>` where one name means different things."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.passport.fields import Field

LABELS = {
    "productIdentifier": _l("Product identifier"), "batteryPassportIdentifier": _l("Passport identifier"),
    "passportIdentifier": _l("Passport identifier"), "productName": _l("Product name"),
    "batteryCategory": _l("Battery category"),
    "manufacturerInformation.identifier": _l("Manufacturer identifier"),
    "manufacturerInformation.contactName": _l("Manufacturer"),
    "manufacturerInformation.emailAddress": _l("Manufacturer e-mail"),
    "manufacturerInformation.webAddress": _l("Manufacturer website"),
    "operatorInformation.identifier": _l("Economic operator identifier"),
    "operatorInformation.contactName": _l("Economic operator"),
    "operatorInformation.emailAddress": _l("Economic operator e-mail"),
    "operatorInformation.webAddress": _l("Economic operator website"),
    "streetAddress": _l("Street"), "postalCode": _l("Postcode"), "addressCountry": _l("Country"),
    "manufacturingDate": _l("Manufacturing date"), "batteryMass": _l("Mass"), "warrentyPeriod": _l("Warranty period"),
    "batteryStatus": _l("Status"), "puttingIntoService": _l("Put into service"),
    "batteryCarbonFootprint": _l("Carbon footprint per kWh"), "absoluteCarbonFootprint": _l("Total carbon footprint"),
    "carbonFootprintPerLifecycleStage": _l("Carbon footprint by life-cycle stage"),
    "carbonFootprintPerformanceClass": _l("Carbon footprint class"),
    "carbonFootprintStudy": _l("Carbon footprint study"), "recycledContent": _l("Recycled content"),
    "renewableContent": _l("Renewable content"), "wastePrevention": _l("Waste prevention"),
    "separateCollection": _l("Separate collection"), "informationOnCollection": _l("Collection and take-back"),
    "extinguishingAgent": _l("Extinguishing agent"), "safetyInstructions": _l("Safety instructions"),
    "dismantlingAndRemovalInformation": _l("Dismantling and removal"), "sparePartSources": _l("Spare parts"),
    "labels": _l("Labels"), "declarationOfConformity": _l("EU declaration of conformity"),
    "resultOfTestReport": _l("Test reports"), "shortName": _l("Chemistry"), "clearName": _l("Chemistry in full"),
    "hazardousSubstances": _l("Hazardous substances"), "batteryMaterials": _l("Materials in detail"),
    "ratedCapacity": _l("Rated capacity"), "ratedEnergy": _l("Rated energy"), "ratedMaximumPower": _l("Maximum power"),
    "nominalVoltage": _l("Nominal voltage"), "minimumVoltage": _l("Minimum voltage"),
    "maximumVoltage": _l("Maximum voltage"), "expectedLifetime": _l("Expected lifetime"),
    "expectedNumberOfCycles": _l("Expected cycles"), "capacityThresholdForExhaustion": _l("End-of-life capacity"),
    "initialSelfDischarge": _l("Self-discharge"), "roundtripEfficiency": _l("Round-trip efficiency"),
    "powerCapabilityRatio": _l("Power capability ratio"), "cRateLifeCycleTest": _l("C-rate of the cycle-life test"),
    "temperatureRangeIdleState": _l("Idle temperature limit"), "lifetimeReferenceTest": _l("Cycle-life test"),
    "originalPowerCapability": _l("Original power capability"),
    "initialInternalResistance": _l("Internal resistance"), "cRate": _l("C-rate"),
    "stateOfCertifiedEnergyValue": _l("State of health"), "remainingCapacityValue": _l("Remaining capacity"),
    "capacityFadeValue": _l("Capacity fade"), "numberOfFullCyclesValue": _l("Full cycles"),
    "remainingEnergyalue": _l("Remaining energy"), "stateOfChargeValue": _l("State of charge"),
    "timeExtremeHighTemp": _l("Time above the highest temperature"),
    "timeExtremeLowTemp": _l("Time below the lowest temperature"),
    "timeExtremeHighTempCharging": _l("Time charging above the highest temperature"),
    "timeExtremeLowTempCharging": _l("Time charging below the lowest temperature"),
    "capacityThroughputValue": _l("Capacity throughput"),
    "evolutionOfSelfDischargeEntityValue": _l("Change in self-discharge"),
    "currentSelfDischargingRateEntity": _l("Current self-discharge rate"),
    "remainingRoundTripEnergyEfficiencyValue": _l("Remaining round-trip efficiency"),
    "energyThroughput": _l("Energy throughput"), "powerFade": _l("Power fade"),
    "roundTripEfficiencyFade": _l("Round-trip efficiency fade"),
    "roundTripEfficiencyat50PerCentCycleLife": _l("Round-trip efficiency at half of the cycle life"),
    "internalResistanceIncrease": _l("Internal resistance increase"),
    "remainingPowerCapability": _l("Remaining power capability"), "negativeEvents": _l("Negative events"),
    "supplyChainDueDiligenceReport": _l("Due diligence report"), "thirdPartyAussurances": _l("Third-party assurance"),
    "supplyChainIndicies": _l("Supply-chain index"), "commodityCode": _l("Commodity code"),
    "facilityIdentifier": _l("Facility identifier"),
    "manufacturer.identifier": _l("Manufacturer identifier"), "manufacturer.name": _l("Manufacturer"),
    "manufacturer.postalAddress": _l("Manufacturer address"), "operator.identifier": _l("Economic operator identifier"),
    "facility.identifier": _l("Facility identifier"), "facility.addressCountry": _l("Facility country"),
    "materials": _l("Materials"), "substancesOfConcern": _l("Substances of concern"),
    "supplierDetails": _l("Suppliers"), "careInstructions": _l("Care instructions"),
    "repairInstructions": _l("Repair instructions"), "serviceHistory": _l("Service history"),
    "technicalDocumentation": _l("Technical documentation"),
}


def label_of(f: Field) -> str:
    parts = f.path.split(".")
    named = LABELS.get(".".join(parts[-2:])) or LABELS.get(parts[-1])
    if named is not None:
        place = parts[-2] if len(parts) >= 2 and parts[-2] in ("manufacturingPlace", "postalAddress") else ""
        text = str(named)
        if place == "manufacturingPlace":
            return str(_l("Place of manufacture: %(part)s", part=text))
        if place == "postalAddress":
            owner = str(LABELS.get(f"{parts[-3]}.contactName", ""))
            return f"{owner}: {text}" if owner else text
        return text
    return parts[-1]


#: The words the pages show for values the portal keeps as codes (the forms post and the JSON says the code).
TERMS = {
    "role": {"repairer": _l("Repairer"), "remanufacturer": _l("Remanufacturer"),
             "second_life_operator": _l("Second-life operator"), "recycler": _l("Recycling operator"),
             "notified_body": _l("Notified body"), "market_surveillance": _l("Market surveillance authority"),
             "commission": _l("European Commission")},
    "tier": {"public": _l("Public"), "legitimate_interest": _l("Legitimate interest"),
             "authority": _l("Authorities")},
    "kind": {"battery": _l("Battery passport"), "generic": _l("Product passport")},
    "reason": {"repurposed": _l("repurposed"), "remanufactured": _l("remanufactured"), "reused": _l("reused"),
               "recycled": _l("recycled")},
    "subject": {"model": _l("Model"), "lot": _l("Lot"), "unit": _l("Unit")},
    "source": {"console": _l("console"), "import": _l("file import"), "api": _l("API"), "epcis": _l("EPCIS"),
               "lifecycle": _l("lifecycle"), "demo": _l("demonstration")},
    "result": {"ok": _l("accepted"), "refused": _l("refused")},
}
#: Unit symbols that are words (fields.UNITS); the others (kWh, %, °C) read alike in every language.
UNIT_WORDS = {"months": _l("months"), "years": _l("years"), "cycles": _l("cycles"), "%/month": _l("%/month")}


def term(group: str, code: str) -> str:
    """What the page calls `code` of `group` (a role, a tier...); an unknown code is shown as it is."""
    named = TERMS.get(group, {}).get(code)
    return str(named) if named is not None else code


def shown_unit(symbol: str) -> str:
    """A unit symbol as the page writes it: "months" becomes "mois", "kWh" stays."""
    named = UNIT_WORDS.get(symbol)
    return str(named) if named is not None else symbol
