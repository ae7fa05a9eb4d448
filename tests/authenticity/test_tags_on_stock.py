"""NFC tags on units that already exist: attach, replace and retire from the API, the CLI and the console,
with own keys or keys derived from the master key; a real SUN tap verifies once and its replay is refused."""
from __future__ import annotations

import secrets

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import select

from portal.authenticity.nfc import diversify_key, sdm_mac, session_keys
from portal.authenticity.taps import create_master_key
from portal.catalog.models import Manufacturer, Unit
from portal.extensions import db
from tests.factories import build_world, login
from tests.support.api import make_token

UID = "04A1B2C3D4E5F6"
NEW_UID = "04112233445566"
OWN_META, OWN_FILE = bytes.fromhex("00112233445566778899AABBCCDDEEFF"), bytes.fromhex("FFEEDDCCBBAA99887766554433221100")


def tap_query(meta_key: bytes, file_key: bytes, uid: str, counter: int) -> str:
    """The query an NTAG 424 DNA tag writes on a read (encrypted PICCData, empty MAC input)."""
    raw = bytes.fromhex(uid)
    plain = bytes([0xC7]) + raw + counter.to_bytes(3, "little") + secrets.token_bytes(5)
    picc = Cipher(algorithms.AES(meta_key), modes.CBC(bytes(16))).encryptor().update(plain)
    _, mac_key = session_keys(file_key, raw, counter)
    return f"picc_data={picc.hex().upper()}&cmac={sdm_mac(mac_key, b'').hex().upper()}"


@pytest.fixture
def world(app):
    return build_world(app)


@pytest.fixture
def master(app, world) -> bytes:
    with app.app_context():
        key = create_master_key(db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme")),
                                actor="test")
        db.session.commit()
    return key


def derived(master: bytes, uid: str) -> tuple[bytes, bytes]:
    raw = bytes.fromhex(uid)
    return diversify_key(master, raw, b"sdm-meta-read"), diversify_key(master, raw, b"sdm-file-read")


def tap(client, world, query) -> dict:
    response = client.get(f"/nfc/{world.gtin_a}/{world.serials_a[0]}?{query}", headers={"Accept": "application/json"})
    return response.get_json()


def nfc_uid(app, unit_id) -> str | None:
    with app.app_context():
        return db.session.get(Unit, unit_id).nfc_uid


def test_a_tag_attached_through_the_api_verifies_a_tap_and_refuses_its_replay(app, client, world, master):
    token = make_token(app, world, ["units:write"])
    auth = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}/nfc-tag"

    response = client.post(path, json={"uid": UID.lower()}, headers=auth)

    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json() == {"gtin": world.gtin_a, "serial": world.serials_a[0], "nfc_uid": UID, "keys": "derived"}
    first = tap_query(*derived(master, UID), UID, 1)
    assert tap(client, world, first)["verdict"] == "genuine"
    replay = tap(client, world, first)
    assert replay["verdict"] == "not_genuine" and replay["reason"] == "replayed_tap"

    # A second attachment is refused; replacing with a tag that has its own keys starts it afresh.
    assert client.post(path, json={"uid": NEW_UID}, headers=auth).status_code == 409
    replaced = client.put(path, json={"uid": NEW_UID, "meta_key": OWN_META.hex(), "file_key": OWN_FILE.hex()},
                          headers=auth)
    assert replaced.status_code == 200 and replaced.get_json()["keys"] == "own"
    assert tap(client, world, tap_query(*derived(master, UID), UID, 2))["verdict"] == "not_genuine"
    assert tap(client, world, tap_query(OWN_META, OWN_FILE, NEW_UID, 1))["verdict"] == "genuine"

    assert client.delete(path, headers=auth).status_code == 200
    assert nfc_uid(app, world.unit_ids_a[0]) is None
    assert tap(client, world, tap_query(OWN_META, OWN_FILE, NEW_UID, 2))["verdict"] != "genuine"


def test_a_uid_another_unit_carries_is_refused(app, client, world, master):
    token = make_token(app, world, ["units:write"])
    auth = {"Authorization": f"Bearer {token}"}
    client.post(f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}/nfc-tag", json={"uid": UID}, headers=auth)

    response = client.post(f"/api/v1/units/{world.gtin_a}/{world.serials_a[1]}/nfc-tag", json={"uid": UID},
                           headers=auth)

    assert response.status_code == 409 and world.serials_a[0] in response.get_json()["detail"]


def test_without_keys_or_a_master_key_the_attachment_is_refused(app, client, world):
    token = make_token(app, world, ["units:write"])
    response = client.post(f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}/nfc-tag", json={"uid": UID},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422 and "master key" in response.get_json()["detail"]
    assert nfc_uid(app, world.unit_ids_a[0]) is None


def test_another_tenants_unit_cannot_get_a_tag(app, client, world, master):
    token = make_token(app, world, ["units:write"], tenant="bravo")
    response = client.post(f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}/nfc-tag", json={"uid": UID},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404


def test_the_cli_attaches_with_own_keys_replaces_and_retires(app, client, world):
    runner = app.test_cli_runner()
    base = ["nfc", "attach", "acme", "--gtin", world.gtin_a, "--serial", world.serials_a[0], "--uid", UID]

    result = runner.invoke(args=[*base, "--meta-key", OWN_META.hex(), "--file-key", OWN_FILE.hex()])

    assert result.exit_code == 0, result.output
    first = tap_query(OWN_META, OWN_FILE, UID, 7)
    assert tap(client, world, first)["verdict"] == "genuine"
    assert tap(client, world, first)["reason"] == "replayed_tap"
    again = runner.invoke(args=[*base, "--meta-key", OWN_META.hex(), "--file-key", OWN_FILE.hex()])
    assert again.exit_code != 0 and "replace it instead" in again.output
    half = runner.invoke(args=["nfc", "replace", "acme", "--gtin", world.gtin_a, "--serial", world.serials_a[0],
                               "--uid", NEW_UID, "--meta-key", OWN_META.hex()])
    assert half.exit_code != 0 and "both" in half.output
    retired = runner.invoke(args=["nfc", "retire", "acme", "--gtin", world.gtin_a, "--serial", world.serials_a[0]])
    assert retired.exit_code == 0 and nfc_uid(app, world.unit_ids_a[0]) is None


def test_the_console_attaches_and_retires_a_tag_on_the_unit_page(app, client, world, master):
    login(client, world.staff_a["admin"])
    unit_id = world.unit_ids_a[0]
    page = client.get(f"/console/acme/units/{unit_id}").get_data(as_text=True)
    assert "Attach a tag" in page

    client.post(f"/console/acme/units/{unit_id}/nfc-tag", data={"uid": UID})

    assert nfc_uid(app, unit_id) == UID
    assert tap(client, world, tap_query(*derived(master, UID), UID, 3))["verdict"] == "genuine"
    assert "Replace the tag" in client.get(f"/console/acme/units/{unit_id}").get_data(as_text=True)
    client.post(f"/console/acme/units/{unit_id}/nfc-tag/retire")
    assert nfc_uid(app, unit_id) is None


def test_staff_who_are_not_admins_cannot_change_tags(app, client, world, master):
    login(client, world.staff_a["support"] if "support" in world.staff_a else
          next(e for r, e in world.staff_a.items() if r != "admin"))
    response = client.post(f"/console/acme/units/{world.unit_ids_a[0]}/nfc-tag", data={"uid": UID})
    assert response.status_code == 403 and nfc_uid(app, world.unit_ids_a[0]) is None


def test_a_tag_attached_to_an_existing_demo_unit_verifies_a_tap_and_refuses_its_replay(app, client):
    """The demo's watch VC42-000017 was imported without a tag; the CLI fits one, as a workshop would."""
    from portal.demo import load_demo

    with app.app_context():
        load_demo()
        db.session.commit()
        unit = db.session.scalar(select(Unit).where(Unit.serial == "VC42-000017"))
        gtin, serial, before = unit.model.gtin, unit.serial, unit.nfc_uid
        master = create_master_key(unit.model.manufacturer, actor="test")
        db.session.commit()
    assert before is None

    result = app.test_cli_runner().invoke(args=["nfc", "attach", "vautrin", "--gtin", gtin, "--serial", serial,
                                                "--uid", UID])

    assert result.exit_code == 0, result.output
    query = tap_query(*derived(master, UID), UID, 1)
    path = f"/nfc/{gtin}/{serial}?{query}"
    first = client.get(path, headers={"Accept": "application/json"}).get_json()
    assert first["verdict"] == "genuine", first
    replay = client.get(path, headers={"Accept": "application/json"}).get_json()
    assert replay["verdict"] == "not_genuine" and replay["reason"] == "replayed_tap"
