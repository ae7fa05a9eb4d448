"""The tier table walked field by field on every output: no field of a higher tier reaches a lower reader, and
every field of the reader's tier and below is there (docs/passport.md, "Who sees what")."""
from __future__ import annotations

import base64
import io
import json
from datetime import date

import pytest
from pypdf import PdfReader

from portal.accounts.services import find_user
from portal.api.models import Scope as ApiScope
from portal.api.tokens import issue_token
from portal.catalog.models import Manufacturer
from portal.extensions import db
from portal.passport import exports
from portal.passport.fields import BATTERY, Tier
from tests.factories import login

READERS = [(None, Tier.PUBLIC), ("reader@example.test", Tier.PUBLIC),
           ("recycler@recycle.test", Tier.LEGITIMATE_INTEREST), ("officer@authority.test", Tier.AUTHORITY),
           ("admin@volt.test", Tier.AUTHORITY)]


def present(doc: dict, field) -> bool:
    node = doc.get(field.aspect)
    for part in field.path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def assert_tiered(doc: dict, tier: Tier, where: str) -> None:
    for f in BATTERY:
        assert present(doc, f) is (f.tier <= tier), f"{where}: {f.key} (tier {f.tier.word}) for a {tier.word} reader"


def _b64(text: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def test_every_field_has_exactly_one_tier_and_the_table_has_every_tier():
    assert len({f.key for f in BATTERY}) == len(BATTERY)
    assert all(isinstance(f.tier, Tier) for f in BATTERY)
    assert {f.tier for f in BATTERY} == set(Tier)


@pytest.mark.parametrize(("email", "tier"), READERS)
def test_json_document_and_each_aspect_hold_exactly_the_readers_tiers(client, battery, email, tier):
    if email:
        login(client, email)
    doc = client.get(battery.path() + "?format=json").get_json()
    assert doc["passport"]["tier"] == tier.word
    assert_tiered(doc, tier, "JSON")
    aspects = {}
    for aspect in {f.aspect for f in BATTERY}:
        response = client.get(f"{battery.path()}/{aspect}.json")
        assert response.status_code == 200
        aspects[aspect] = response.get_json()
    assert_tiered(aspects, tier, "aspect JSON")


@pytest.mark.parametrize(("email", "tier"), READERS)
def test_page_shows_exactly_the_readers_tiers_public_first(client, battery, email, tier):
    if email:
        login(client, email)
    html = client.get(battery.path()).get_data(as_text=True)
    for f in BATTERY:
        assert (f'data-field="{f.key}"' in html) is (f.tier <= tier), f"page: {f.key} for {tier.word}"
    first_restricted = html.find('data-tier-section="legitimate_interest"')
    assert html.find('data-tier-section="public"') < first_restricted or first_restricted == -1


#: Text only a field's value puts in the PDF, for every field above the public tier.
MARKERS = {
    "generalProductInformation.batteryStatus": "· Status",
    "generalProductInformation.puttingIntoService": "2025-05-02T10:00:00Z",
    "circularity.safetyMeasures.safetyInstructions": "safety.pdf",
    "circularity.dismantlingAndRemovalInformation": "dismantling.pdf",
    "circularity.sparePartSources": "VP-BMS-36-02",
    "labels.resultOfTestReport": "test-report-UN38.3",
    "materialComposition.batteryMaterials": "Natural graphite",
    "performanceAndDurability.batteryCondition.stateOfCertifiedEnergy.stateOfCertifiedEnergyValue": "87.654",
    "performanceAndDurability.batteryCondition.remainingCapacity.remainingCapacityValue": "0.4383",
    "performanceAndDurability.batteryCondition.capacityFade.capacityFadeValue": "12.346",
    "performanceAndDurability.batteryCondition.numberOfFullCycles.numberOfFullCyclesValue": "4321",
    "performanceAndDurability.batteryCondition.remainingEnergy.remainingEnergyalue": "0.4377",
    "performanceAndDurability.batteryCondition.stateOfCharge.stateOfChargeValue": "55.5",
    "performanceAndDurability.batteryCondition.temperatureInformation.timeExtremeHighTemp": "777",
    "performanceAndDurability.batteryCondition.temperatureInformation.timeExtremeLowTemp": "666",
    "performanceAndDurability.batteryCondition.temperatureInformation.timeExtremeHighTempCharging": "555",
    "performanceAndDurability.batteryCondition.temperatureInformation.timeExtremeLowTempCharging": "444",
    "performanceAndDurability.batteryCondition.energyThroughput": "2160.5",
    "performanceAndDurability.batteryCondition.negativeEvents": "deepDischarge",
    "performanceAndDurability.batteryCondition.capacityThroughput.capacityThroughputValue": "60061.9",
    "performanceAndDurability.batteryCondition.evolutionOfSelfDischarge.evolutionOfSelfDischargeEntityValue":
        "0.371",
    "performanceAndDurability.batteryCondition.currentSelfDischargingRate.currentSelfDischargingRateEntity": "2.372",
    "performanceAndDurability.batteryCondition.remainingRoundTripEnergyEfficiency."
    "remainingRoundTripEnergyEfficiencyValue": "90.373",
    "performanceAndDurability.batteryCondition.powerFade": "9.374",
    "performanceAndDurability.batteryCondition.roundTripEfficiencyFade": "3.375",
    "performanceAndDurability.batteryCondition.roundTripEfficiencyat50PerCentCycleLife": "91.376",
    "performanceAndDurability.batteryCondition.internalResistanceIncrease": "18.377",
    "performanceAndDurability.batteryCondition.remainingPowerCapability": "0.66378",
}


def test_every_restricted_field_has_a_pdf_marker():
    assert set(MARKERS) == {f.key for f in BATTERY if f.tier > Tier.PUBLIC}


@pytest.mark.parametrize(("email", "tier"), [READERS[0], READERS[2], READERS[3]])
def test_pdf_holds_exactly_the_readers_tiers(client, battery, email, tier):
    if email:
        login(client, email)
    response = client.get(battery.path() + "/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages).replace("\n", "")
    for f in BATTERY:
        if f.key in MARKERS:
            assert (MARKERS[f.key] in text) is (f.tier <= tier), f"PDF: {f.key} for {tier.word}"
    assert "NMC811" in text and "DE-VELORA-4061234" in text  # public fields are there for everyone


@pytest.mark.parametrize("email", [None, "officer@authority.test", "admin@volt.test"])
def test_the_credential_holds_the_public_tier_whoever_asks(client, battery, email):
    if email:
        login(client, email)
    jws = client.get(battery.path() + "/credential").get_data(as_text=True)
    subject = _b64(jws.split(".")[1])["credentialSubject"]
    assert_tiered(subject, Tier.PUBLIC, "credential")


def test_api_reads_every_tier_of_the_tenants_own_units_and_nothing_of_others(app, client, battery):
    with app.app_context():
        tenant = db.session.get(Manufacturer, battery.tenant_id)
        _, secret = issue_token(tenant, name="ERP", scopes=[ApiScope.PASSPORTS_READ], expires_on=date(2027, 1, 1),
                                actor=find_user(battery.admin))
        db.session.commit()
    doc = client.get(f"/api/v1/passports/{battery.gtin}/{battery.serials[0]}",
                     headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert_tiered(doc, Tier.AUTHORITY, "API")


def test_registry_export_and_backup_copy_follow_the_tiers(app, battery):
    with app.app_context():
        tenant = db.session.get(Manufacturer, battery.tenant_id)
        rows = list(exports.registry_rows(tenant))
        assert rows and not any(m in json.dumps(rows) for m in MARKERS.values())
        copy = exports.backup_copy(tenant)
    payload = _b64(copy["payload"])
    for entry in payload["passports"]:
        for word, doc in entry["tiers"].items():
            tier = next(t for t in Tier if t.word == word)
            assert doc["passport"]["tier"] == word
            if doc["passport"]["productIdentifier"].endswith(battery.serials[0]):
                assert_tiered(doc, tier, f"backup {word}")


def test_a_revoked_grant_reads_the_public_tier_again(app, client, battery):
    from portal.passport import services
    from portal.passport.models import PassportGrant

    with app.app_context():
        grant = db.session.scalar(db.select(PassportGrant).where(PassportGrant.role == "recycler"))
        services.revoke(grant.id, manufacturer=db.session.get(Manufacturer, battery.tenant_id),
                        actor=find_user(battery.admin))
        db.session.commit()
    login(client, battery.recycler)
    assert_tiered(client.get(battery.path() + "?format=json").get_json(), Tier.PUBLIC, "revoked")
