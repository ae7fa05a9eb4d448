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
    world, gtin, serial = typed
    api = ApiClient(app.test_client(), make_token(app, world))
    sold = api.post("/api/v1/sales", json={"gtin": gtin, "serial": serial, "retailer": "Acme Boutique",
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


def test_the_api_still_refuses_what_is_not_a_gtin(app):
    world = build_world(app)
    api = ApiClient(app.test_client(), make_token(app, world))
    for wrong in ("0761-2345-0000-1X", "-07612345000015", "0761234500001", " - "):
        refused = api.post("/api/v1/sales", json={"gtin": wrong, "serial": world.serials_a[0],
                                                  "retailer": "Acme Boutique", "sold_on": "2026-11-27"})
        assert 400 <= refused.status_code < 500, (wrong, refused.status_code)


def test_the_unit_import(app, tmp_path):
    world = build_world(app)
    file = tmp_path / "units.csv"
    file.write_text(f'gtin,serial\n"{spaced(world.gtin_a)}",NEW-0001\n{world.gtin_a[:7]}.{world.gtin_a[7:]},NEW-0002\n'
                    f"{world.gtin_a[:7]}x{world.gtin_a[7:]},NEW-0003\n")
    result = app.test_cli_runner().invoke(args=["units", "import", "acme", str(file)])
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output and "1 rejected" in result.output and "line 4" in result.output, result.output
