"""One normaliser behind every entry point (docs/architecture.md, invariant 7; issue 17): a GTIN typed with
spaces or dashes, a serial with surrounding spaces, and a lower-case serial of a maker that declared serials
case-insensitive reach the same unit through the registration form, the typed lookup, the API and the CLI."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from portal.catalog.models import Manufacturer
from portal.extensions import db
from portal.ownership.models import Ownership
from tests.factories import build_world, login
from tests.support.api import ApiClient, make_token


def spaced(gtin: str) -> str:
    return f" {gtin[:4]} {gtin[4:8]}-{gtin[8:]} "


@pytest.fixture(params=["as printed", "lower case, maker declared case-insensitive"])
def typed(request, app):
    world = build_world(app)
    serial = world.serials_a[0]
    if request.param.startswith("lower"):
        with app.app_context():
            db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme")) \
                .identifiers_case_insensitive = True
            db.session.commit()
        serial = serial.lower()
    return world, spaced(world.gtin_a), f"  {serial}\t"


def test_the_registration_form(app, typed):
    world, gtin, serial = typed
    client = app.test_client()
    login(client, world.owner)
    done = client.post("/my/register", data={"gtin": gtin, "serial": serial,
                                             "proof": (io.BytesIO(b""), "")}, content_type="multipart/form-data")
    assert done.status_code == 302, done.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Ownership)).one().unit_id == world.unit_ids_a[0]


def test_the_typed_lookup(app, typed):
    world, gtin, serial = typed
    page = app.test_client().get("/lookup", query_string={"gtin": gtin, "serial": serial})
    assert page.status_code == 200 and world.serials_a[0] in page.get_data(as_text=True)


def test_the_api(app, typed):
    world, _gtin, serial = typed
    api = ApiClient(app.test_client(), make_token(app, world))
    # The API's schema states GTINs as digits (OpenAPI pattern); its serials go through the same normaliser.
    sold = api.post("/api/v1/sales", json={"gtin": world.gtin_a, "serial": serial, "retailer": "Acme Boutique",
                                           "sold_on": "2026-11-27"})
    assert sold.status_code == 201, sold.get_json()
    assert (sold.get_json()["gtin"], sold.get_json()["serial"]) == (world.gtin_a, world.serials_a[0])


def test_the_cli(app, typed):
    world, gtin, serial = typed
    result = app.test_cli_runner().invoke(args=["labels", "sign", "acme", "--gtin", gtin, "--serial", serial])
    if "signing key" in result.output:  # the world has no key yet: make one and ask again
        app.test_cli_runner().invoke(args=["keys", "create", "acme"])
        result = app.test_cli_runner().invoke(args=["labels", "sign", "acme", "--gtin", gtin, "--serial", serial])
    assert result.exit_code == 0, result.output
    assert f"/01/{world.gtin_a}/21/{world.serials_a[0]}?" in result.output
