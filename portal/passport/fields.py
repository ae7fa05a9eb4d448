"""The tier table: every field of every passport kind, with its aspect, scope, type, unit and one access tier.

The battery kind follows the attribute names of the Battery Pass Data Model v1.2.0 (DIN DKE SPEC 99100), seven
aspects; units are that model's SAMM unit names. The generic kind is the ESPR base (Regulation (EU) 2024/1781,
Art. 9 and Annex III). Tiers follow Regulation (EU) 2023/1542 Annex XIII: point 1 public, points 2 and 4
legitimate interest, point 3 authorities (docs/passport.md, "Who sees what").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from flask_babel import lazy_gettext as _l


class Tier(IntEnum):
    """Who may read a field. A reader of a tier reads that tier's fields and every lower tier's."""

    PUBLIC = 0
    LEGITIMATE_INTEREST = 1
    AUTHORITY = 2

    @property
    def word(self) -> str:
        return ("public", "legitimate_interest", "authority")[self]

    @property
    def label(self) -> str:
        return str((_l("Public"), _l("Legitimate interest"), _l("Authorities"))[self])


class Kind(StrEnum):
    BATTERY = "battery"
    GENERIC = "generic"  # the ESPR base: textiles, leather goods, watches...

    @property
    def label(self) -> str:
        return str({Kind.BATTERY: _l("Battery passport"), Kind.GENERIC: _l("Product passport")}[self])


class Scope(StrEnum):
    STATIC = "static"  # kept per model, or per lot (batch) where the lot differs
    DYNAMIC = "dynamic"  # kept per unit
    DERIVED = "derived"  # computed from the unit and the model, never entered


@dataclass(frozen=True)
class Field:
    aspect: str
    path: str  # dotted attribute path inside the aspect, in the data model's names
    type: str  # string, number, integer, uri, datetime, date, enum, boolean, list, email, pattern
    tier: Tier
    scope: Scope = Scope.STATIC
    unit: str = ""  # the data model's unit name (SAMM), e.g. kilowattHour
    required: bool = False
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    pattern: str = ""
    items: dict = field(default_factory=dict)  # list: item attribute -> (type, enum or (min, max) or ())

    @property
    def key(self) -> str:
        return f"{self.aspect}.{self.path}"

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


P, L, A = Tier.PUBLIC, Tier.LEGITIMATE_INTEREST, Tier.AUTHORITY
S, D, X = Scope.STATIC, Scope.DYNAMIC, Scope.DERIVED
DATETIME_PATTERN = r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"
CAS = r"^\d{2,7}-\d{2}-\d{1}$"

GPI, CFP, CIR, LAB, MAT, PER, DUE = ("generalProductInformation", "carbonFootprint", "circularity", "labels",
                                    "materialComposition", "performanceAndDurability", "supplyChainDueDiligence")
REG = "registry"  # the portal's own aspect: what the EU registry needs beyond the data model (ESPR Art. 13)
BATTERY_ASPECTS = (GPI, CFP, CIR, LAB, MAT, PER, DUE, REG)
BATTERY_STATUS = ("Original", "Repurposed", "Reused", "Remanufactured", "Waste")
CONDITION = "batteryCondition"
TECH = "batteryTechicalProperties"  # sic: the data model's spelling


def _measured(name: str, value: str, unit: str, tier: Tier = L) -> Field:
    """A per-unit measurement the data model keeps as {<value>, lastUpdate}; lastUpdate comes from its version."""
    return Field(PER, f"{CONDITION}.{name}.{value}", "number", tier, D, unit, minimum=0,
                 maximum=100 if unit == "percent" else None)


_LOCATION = {"componentName": ("string", ()), "componentId": ("string", ())}
COMPONENTS = ("pack", "module", "cell")
_ADDRESS = {"addressCountry": ("string", ()), "streetAddress": ("string", ()), "postalCode": ("string", ())}

BATTERY: tuple[Field, ...] = (
    # General product information (Annex VI part A, Annex XIII 1(a)); status and use are per unit (point 4).
    Field(GPI, "productIdentifier", "string", P, X, required=True),
    Field(GPI, "batteryPassportIdentifier", "string", P, X, required=True, pattern=r"^urn:[a-z0-9]+:[a-z0-9]+$"),
    Field(GPI, "batteryCategory", "enum", P, S, required=True, enum=("lmt", "ev", "industrial", "stationary")),
    Field(GPI, "manufacturerInformation.identifier", "string", P, S, required=True),
    Field(GPI, "manufacturerInformation.contactName", "string", P, S, required=True),
    Field(GPI, "manufacturerInformation.emailAddress", "email", P, S),
    Field(GPI, "manufacturerInformation.webAddress", "uri", P, S),
    Field(GPI, "manufacturerInformation.postalAddress.streetAddress", "string", P, S, required=True),
    Field(GPI, "manufacturerInformation.postalAddress.postalCode", "string", P, S, required=True),
    Field(GPI, "manufacturerInformation.postalAddress.addressCountry", "string", P, S, required=True),
    Field(GPI, "operatorInformation.identifier", "string", P, S, required=True),
    Field(GPI, "operatorInformation.contactName", "string", P, S, required=True),
    Field(GPI, "operatorInformation.emailAddress", "email", P, S),
    Field(GPI, "operatorInformation.webAddress", "uri", P, S),
    Field(GPI, "operatorInformation.postalAddress.streetAddress", "string", P, S, required=True),
    Field(GPI, "operatorInformation.postalAddress.postalCode", "string", P, S, required=True),
    Field(GPI, "operatorInformation.postalAddress.addressCountry", "string", P, S, required=True),
    Field(GPI, "manufacturingPlace.streetAddress", "string", P, S),
    Field(GPI, "manufacturingPlace.postalCode", "string", P, S),
    Field(GPI, "manufacturingPlace.addressCountry", "string", P, S, required=True),
    Field(GPI, "manufacturingDate", "datetime", P, X, required=True),
    Field(GPI, "batteryMass", "number", P, S, "kilogram", required=True, minimum=0, maximum=2000),
    Field(GPI, "warrentyPeriod", "pattern", P, S, "month", pattern=r"^--(0[1-9]|1[0-2])$"),
    Field(GPI, "batteryStatus", "enum", L, D, required=True, enum=BATTERY_STATUS),
    Field(GPI, "puttingIntoService", "datetime", L, D),
    # Carbon footprint (Annex XIII 1(c)).
    Field(CFP, "batteryCarbonFootprint", "number", P, S, "kilogramCO2eqPerKilowattHour", required=True, minimum=0),
    Field(CFP, "absoluteCarbonFootprint", "number", P, S, "kilogramCO2eq", minimum=0),
    Field(CFP, "carbonFootprintPerLifecycleStage", "list", P, S, required=True, items={
        "lifecycleStage": ("enum", ("RawMaterialExtraction", "MainProduction", "Distribution", "Recycling")),
        "carbonFootprint": ("number", (0, None))}),
    Field(CFP, "carbonFootprintPerformanceClass", "string", P, S, required=True),
    Field(CFP, "carbonFootprintStudy", "uri", P, S, required=True),
    # Circularity: recycled and renewable content public (1(g)); dismantling, spare parts, safety (2(b)-(d)).
    Field(CIR, "recycledContent", "list", P, S, required=True, items={
        "recycledMaterial": ("enum", ("Cobalt", "Nickel", "Lithium", "Lead")),
        "preConsumerShare": ("number", (0, 100)), "postConsumerShare": ("number", (0, 100))}),
    Field(CIR, "renewableContent", "number", P, S, "percent", required=True, minimum=0, maximum=100),
    Field(CIR, "endOfLifeInformation.wastePrevention", "uri", P, S, required=True),
    Field(CIR, "endOfLifeInformation.separateCollection", "uri", P, S, required=True),
    Field(CIR, "endOfLifeInformation.informationOnCollection", "uri", P, S, required=True),
    Field(CIR, "safetyMeasures.extinguishingAgent", "list", P, S, required=True, items={"": ("string", ())}),
    Field(CIR, "safetyMeasures.safetyInstructions", "uri", L, S, required=True),
    Field(CIR, "dismantlingAndRemovalInformation", "list", L, S, required=True, items={
        "documentType": ("enum", ("BillOfMaterial", "Model3D", "DismantlingManual", "RemovalManual", "OtherManual",
                                  "Drawing")),
        "mimeType": ("string", ()), "documentURL": ("uri", ())}),
    Field(CIR, "sparePartSources", "list", L, S, required=True, items={
        "nameOfSupplier": ("string", ()), "emailAddressOfSupplier": ("email", ()),
        "supplierWebAddress": ("uri", ()), "addressOfSupplier": ("object", _ADDRESS),
        "components": ("objects", {"partName": ("string", ()), "partNumber": ("string", ())})}),
    # Labels and conformity (1(h), 1(i)); test reports for authorities only (3).
    Field(LAB, "labels", "list", P, S, required=True, items={
        "labelingSymbol": ("uri", ()), "labelingMeaning": ("langtext", ()),
        "labelingSubject": ("enum", ("SeparateCollection", "HazardousMaterial", "CarbonFootPrint",
                                     "ExtinguishingAgent"))}),
    Field(LAB, "declarationOfConformity", "uri", P, S, required=True),
    Field(LAB, "resultOfTestReport", "uri", A, S, required=True),
    # Material composition: chemistry, hazardous substances and critical raw materials public (Annex VI);
    # the detailed composition (cathode, anode, electrolyte) for legitimate interest (2(a)).
    Field(MAT, "batteryChemistry.shortName", "string", P, S, required=True),
    Field(MAT, "batteryChemistry.clearName", "string", P, S, required=True),
    Field(MAT, "hazardousSubstances", "list", P, S, required=True, items={
        "hazardousSubstanceClass": ("enum", ("AcuteToxicity", "SkinCorrosionOrIrritation", "EyeDamageOrIrritation")),
        "hazardousSubstanceName": ("string", ()), "hazardousSubstanceConcentration": ("number", (0, 100)),
        "hazardousSubstanceIdentifier": ("cas", ()), "hazardousSubstanceImpact": ("strings", ()),
        "hazardousSubstanceLocation": ("object", _LOCATION)}),
    Field(MAT, "batteryMaterials", "list", L, S, required=True, items={
        "batteryMaterialName": ("string", ()), "batteryMaterialIdentifier": ("cas", ()),
        "batteryMaterialMass": ("number", (0, None)), "isCriticalRawMaterial": ("boolean", ()),
        "batteryMaterialLocation": ("object", _LOCATION)}),
    # Performance and durability: rated values public (1(e)); the individual battery's condition (4).
    Field(PER, f"{TECH}.ratedCapacity", "number", P, S, "ampereHour", required=True, minimum=0),
    Field(PER, f"{TECH}.ratedEnergy", "number", P, S, "kilowattHour", required=True, minimum=0),
    Field(PER, f"{TECH}.ratedMaximumPower", "number", P, S, "kilowatt", required=True, minimum=0),
    Field(PER, f"{TECH}.nominalVoltage", "number", P, S, "volt", required=True, minimum=0, maximum=1500),
    Field(PER, f"{TECH}.minimumVoltage", "number", P, S, "volt", required=True, minimum=0, maximum=1500),
    Field(PER, f"{TECH}.maximumVoltage", "number", P, S, "volt", required=True, minimum=0, maximum=1500),
    Field(PER, f"{TECH}.expectedLifetime", "integer", P, S, "year", required=True, minimum=0, maximum=100),
    Field(PER, f"{TECH}.expectedNumberOfCycles", "integer", P, S, "cycle", required=True, minimum=0),
    Field(PER, f"{TECH}.capacityThresholdForExhaustion", "number", P, S, "percent", required=True, minimum=0,
          maximum=100),
    Field(PER, f"{TECH}.initialSelfDischarge", "number", P, S, "percentPerMonth", required=True, minimum=0,
          maximum=100),
    Field(PER, f"{TECH}.roundtripEfficiency", "number", P, S, "percent", required=True, minimum=0, maximum=100),
    Field(PER, f"{TECH}.powerCapabilityRatio", "number", P, S, "percent", required=True, minimum=0),
    Field(PER, f"{TECH}.cRateLifeCycleTest", "number", P, S, required=True, minimum=0),
    Field(PER, f"{TECH}.temperatureRangeIdleState", "number", P, S, "degreeCelsius", required=True, minimum=-20,
          maximum=60),
    Field(PER, f"{TECH}.lifetimeReferenceTest", "uri", P, S, required=True),
    Field(PER, f"{TECH}.originalPowerCapability", "list", P, S, required=True, items={
        "atSoC": ("number", (0, 100)), "powerCapabilityAt": ("number", (0, None))}),
    Field(PER, f"{TECH}.initialInternalResistance", "list", P, S, required=True, items={
        "ohmicResistance": ("number", (0, None)), "batteryComponent": ("enum", COMPONENTS)}),
    Field(PER, f"{TECH}.cRate", "number", P, S, minimum=0),
    _measured("stateOfCertifiedEnergy", "stateOfCertifiedEnergyValue", "percent"),  # the state of health
    _measured("remainingCapacity", "remainingCapacityValue", "kilowattHour"),
    _measured("capacityFade", "capacityFadeValue", "percent"),
    _measured("numberOfFullCycles", "numberOfFullCyclesValue", "cycle"),
    _measured("remainingEnergy", "remainingEnergyalue", "kilowattHour"),  # sic: the data model's spelling
    _measured("stateOfCharge", "stateOfChargeValue", "percent"),
    _measured("temperatureInformation", "timeExtremeHighTemp", "minuteUnitOfTime"),
    _measured("temperatureInformation", "timeExtremeLowTemp", "minuteUnitOfTime"),
    _measured("temperatureInformation", "timeExtremeHighTempCharging", "minuteUnitOfTime"),
    _measured("temperatureInformation", "timeExtremeLowTempCharging", "minuteUnitOfTime"),
    _measured("capacityThroughput", "capacityThroughputValue", "ampereHour"),
    _measured("evolutionOfSelfDischarge", "evolutionOfSelfDischargeEntityValue", "percent"),
    _measured("currentSelfDischargingRate", "currentSelfDischargingRateEntity", "percent"),
    _measured("remainingRoundTripEnergyEfficiency", "remainingRoundTripEnergyEfficiencyValue", "percent"),
    Field(PER, f"{CONDITION}.energyThroughput", "number", L, D, "kilowattHour", minimum=0),
    Field(PER, f"{CONDITION}.powerFade", "number", L, D, "percent", minimum=0, maximum=100),
    Field(PER, f"{CONDITION}.roundTripEfficiencyFade", "number", L, D, "percent", minimum=0, maximum=100),
    Field(PER, f"{CONDITION}.roundTripEfficiencyat50PerCentCycleLife", "number", L, D, "percent", minimum=0,
          maximum=100),
    Field(PER, f"{CONDITION}.internalResistanceIncrease", "list", L, D, items={
        "internalResistanceIncreaseValue": ("number", (0, None)), "lastUpdate": ("datetime", ()),
        "batteryComponent": ("enum", COMPONENTS)}),
    Field(PER, f"{CONDITION}.remainingPowerCapability", "list", L, D, items={
        "remainingPowerCapabilityValue": ("object", {"atSoC": ("number", (0, 100)),
                                                     "powerCapabilityAt": ("number", (0, None)),
                                                     "rPCLastUpdated": ("datetime", ())}),
        "lastUpdate": ("datetime", ())}),
    Field(PER, f"{CONDITION}.negativeEvents", "list", L, D, items={
        "negativeEvent": ("enum", ("deepDischarge", "overcharge", "accident", "overheating", "other")),
        "lastUpdate": ("datetime", ())}),
    # Supply-chain due diligence (1(d)).
    Field(DUE, "supplyChainDueDiligenceReport", "uri", P, S, required=True),
    Field(DUE, "thirdPartyAussurances", "uri", P, S),  # sic
    Field(DUE, "supplyChainIndicies", "number", P, S, minimum=0),  # sic
    Field(REG, "commodityCode", "pattern", P, S, required=True, pattern=r"^\d{4}(\d{2}){0,3}$"),
    Field(REG, "facilityIdentifier", "string", P, S, required=True),
)

IDN, OPR, MTR, CAR, DOC = "identification", "operator", "materials", "careAndRepair", "documents"
#: Where the registry export finds each kind's operator, facility and commodity code (all public fields).
REGISTRY_KEYS = {
    "battery": ("generalProductInformation.operatorInformation.identifier", "registry.facilityIdentifier",
                "registry.commodityCode"),
    "generic": ("operator.operator.identifier", "operator.facility.identifier", "identification.commodityCode"),
}
GENERIC_ASPECTS = (IDN, OPR, MTR, CAR, DOC)
GENERIC: tuple[Field, ...] = (
    # ESPR Art. 9 and Annex III: identifier, operator and facility, commodity code, materials, care and repair.
    Field(IDN, "productIdentifier", "string", P, X, required=True),
    Field(IDN, "passportIdentifier", "string", P, X, required=True),
    Field(IDN, "productName", "string", P, X, required=True),
    Field(IDN, "commodityCode", "pattern", P, S, required=True, pattern=r"^\d{4}(\d{2}){0,3}$"),
    Field(OPR, "manufacturer.identifier", "string", P, S, required=True),
    Field(OPR, "manufacturer.name", "string", P, S, required=True),
    Field(OPR, "manufacturer.postalAddress", "string", P, S),
    Field(OPR, "operator.identifier", "string", P, S, required=True),
    Field(OPR, "facility.identifier", "string", P, S, required=True),
    Field(OPR, "facility.addressCountry", "string", P, S),
    Field(MTR, "materials", "list", P, S, required=True, items={
        "material": ("string", ()), "share": ("number", (0, 100)), "origin": ("string", ())}),
    Field(MTR, "substancesOfConcern", "list", P, S, items={"name": ("string", ()), "identifier": ("cas", ())}),
    Field(MTR, "supplierDetails", "list", L, S, items={"name": ("string", ()), "identifier": ("string", ())}),
    Field(CAR, "careInstructions", "uri", P, S),
    Field(CAR, "repairInstructions", "uri", L, S),
    Field(CAR, "serviceHistory", "list", L, D, items={"date": ("datetime", ()), "work": ("string", ())}),
    Field(DOC, "declarationOfConformity", "uri", P, S),
    Field(DOC, "technicalDocumentation", "uri", A, S),
)

KINDS: dict[Kind, tuple[Field, ...]] = {Kind.BATTERY: BATTERY, Kind.GENERIC: GENERIC}
ASPECTS: dict[Kind, tuple[str, ...]] = {Kind.BATTERY: BATTERY_ASPECTS, Kind.GENERIC: GENERIC_ASPECTS}
BY_KEY: dict[Kind, dict[str, Field]] = {k: {f.key: f for f in fs} for k, fs in KINDS.items()}

#: How each unit reads, and the spellings a form, an import or a sensor report may use for it (UN/ECE Rec. 20
#: codes as EPCIS sensor reports carry them) with the factor to the stored unit.
UNITS: dict[str, tuple[str, dict[str, float]]] = {
    "kilogram": ("kg", {"kg": 1, "KGM": 1, "g": 0.001, "GRM": 0.001}),
    "gram": ("g", {"g": 1, "GRM": 1, "kg": 1000, "KGM": 1000}),
    "month": ("months", {"month": 1, "months": 1, "MON": 1}),
    "kilogramCO2eqPerKilowattHour": ("kg CO2e/kWh", {"kgCO2e/kWh": 1, "kg CO2e/kWh": 1}),
    "kilogramCO2eq": ("kg CO2e", {"kgCO2e": 1, "kg CO2e": 1, "tCO2e": 1000}),
    "percent": ("%", {"%": 1, "P1": 1, "percent": 1}),
    "percentPerMonth": ("%/month", {"%/month": 1, "percentPerMonth": 1}),
    "ampereHour": ("Ah", {"Ah": 1, "AMH": 1, "mAh": 0.001}),
    "kilowattHour": ("kWh", {"kWh": 1, "KWH": 1, "Wh": 0.001, "WHR": 0.001}),
    "kilowatt": ("kW", {"kW": 1, "KWT": 1, "W": 0.001, "WTT": 0.001}),
    "volt": ("V", {"V": 1, "VLT": 1}),
    "year": ("years", {"year": 1, "years": 1, "ANN": 1}),
    "cycle": ("cycles", {"cycle": 1, "cycles": 1, "C62": 1}),
    "degreeCelsius": ("°C", {"°C": 1, "CEL": 1, "degreeCelsius": 1}),
    "minuteUnitOfTime": ("min", {"min": 1, "MIN": 1, "h": 60, "HUR": 60, "s": 1 / 60, "SEC": 1 / 60}),
}


def fields_of(kind: Kind | str) -> tuple[Field, ...]:
    return KINDS[Kind(kind)]


def field_of(kind: Kind | str, key: str) -> Field | None:
    return BY_KEY[Kind(kind)].get(key)


def unit_symbol(unit: str) -> str:
    return UNITS[unit][0] if unit in UNITS else unit
