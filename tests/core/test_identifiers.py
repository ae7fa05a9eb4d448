"""One identifier normaliser (docs/architecture.md, invariant 7): GTINs and serials as people and partner
systems write them reach the same stored form from every entry point."""
from __future__ import annotations

import pytest

from portal.catalog.services import find_unit
from portal.core.errors import Invalid
from portal.core.gs1 import GS1Error, canonical_gtin, canonical_serial
from tests.factories import build_world


@pytest.mark.parametrize(("typed", "stored"), [
    ("07612345000015", "07612345000015"),
    ("7612345000015", "07612345000015"),  # GTIN-13 padded to 14
    ("  0761 2345 0000 15 ", "07612345000015"),
    ("0761-2345-00001-5", "07612345000015"),
    ("0761.2345.0000.15", "07612345000015"),
    ("96385074", "00000096385074"),  # GTIN-8
])
def test_a_typed_gtin_reaches_its_stored_form(typed, stored):
    assert canonical_gtin(typed) == stored


@pytest.mark.parametrize("typed", ["0761 2345 0000 16", "0761/2345/000015", "07612345OOOO15", "", "   "])
def test_a_wrong_gtin_is_still_refused_with_its_reason(typed):
    with pytest.raises(GS1Error) as err:
        canonical_gtin(typed)
    assert err.value.field == "gtin"


def test_a_serial_is_trimmed_and_upper_cased_only_when_its_maker_says_case_does_not_matter():
    assert canonical_serial("  vc42-000017 ") == "vc42-000017"
    assert canonical_serial("  vc42-000017 ", case_insensitive=True) == "VC42-000017"
    with pytest.raises(GS1Error):
        canonical_serial("VC42 000017")  # a space inside is not a GS1 serial character


def test_forms_api_and_cli_find_a_unit_through_the_same_normaliser(app):
    world = build_world(app)
    with app.app_context():
        spaced = " ".join([world.gtin_a[:4], world.gtin_a[4:8], world.gtin_a[8:]])
        unit = find_unit(spaced, f"  {world.serials_a[0]}\t")
        assert unit.serial == world.serials_a[0]
        with pytest.raises(Invalid) as refused:
            find_unit(spaced.replace(" ", "/"), world.serials_a[0])
        assert refused.value.field == "gtin"


def test_the_typed_lookups_take_a_spaced_gtin_and_a_padded_serial(app, client):
    world = build_world(app)
    spaced = f"{world.gtin_a[:7]} {world.gtin_a[7:]}"
    check = client.get("/lookup", query_string={"gtin": spaced, "serial": f" {world.serials_a[0]} "})
    assert check.status_code == 200 and "This serial is on record" in check.get_data(as_text=True)
    recall = client.get("/recalls/lookup", query_string={"gtin": spaced, "serial": f" {world.serials_a[0]}",
                                                         "format": "json"})
    assert recall.status_code == 200, recall.get_data(as_text=True)
    refused = client.get("/recalls/lookup", query_string={"gtin": spaced.replace(" ", "/"),
                                                          "serial": world.serials_a[0], "format": "json"})
    assert refused.status_code == 422 and refused.json["field"] == "gtin"
