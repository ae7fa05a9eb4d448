"""Clone detection from scan patterns, the console's alert desk, counterfeit reports and NFC taps."""
import io
from urllib.parse import urlsplit

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.authenticity.keys import create_key
from portal.authenticity.labels import current_label, issue_label, label_uri
from portal.authenticity.models import AlertState, CloneAlert, CounterfeitReport
from portal.authenticity.nfc import diversify_key
from portal.authenticity.taps import create_master_key
from portal.catalog.models import Manufacturer, Unit
from portal.core.secrets import decrypt_secret
from portal.extensions import db
from portal.ownership.services import register_unit
from tests.factories import build_world, login
from tests.support.taps import tap_query


@pytest.fixture
def world(app):
    world = build_world(app)
    with app.app_context():
        create_key(db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme")), actor="test")
        db.session.commit()
    return world


def signed_path(app, unit_id) -> str:
    with app.app_context():
        unit = db.session.get(Unit, unit_id)
        uri = label_uri(unit.model.gtin, unit.serial, issue_label(unit, actor="test"))
        db.session.commit()
    parts = urlsplit(uri)
    return f"{parts.path}?{parts.query}"


def scan_from(app, path, device: int, **kw):
    return app.test_client().get(path, headers={"Accept": "application/json", "User-Agent": f"phone-{device}"}, **kw)


def set_thresholds(app, **values):
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        for key, value in values.items():
            setattr(acme, key, value)
        db.session.commit()


def open_alerts(app):
    with app.app_context():
        return db.session.scalars(select(CloneAlert).where(CloneAlert.state == AlertState.OPEN)).all()


def test_many_devices_in_a_short_time_raise_one_clone_alert(app, world):
    set_thresholds(app, clone_max_clients=4)
    path = signed_path(app, world.unit_ids_a[0])
    verdicts = [scan_from(app, path, d).get_json()["verdict"] for d in range(6)]
    assert verdicts[:3] == ["genuine"] * 3
    assert verdicts[3:] == ["warning"] * 3  # the fourth device tips it, and says so at once
    alerts = open_alerts(app)
    assert len(alerts) == 1 and alerts[0].kind == "many_clients"


def test_the_same_device_scanning_again_is_not_a_clone(app, world):
    set_thresholds(app, clone_max_clients=3)
    path = signed_path(app, world.unit_ids_a[0])
    for _ in range(10):
        assert scan_from(app, path, 1).get_json()["verdict"] == "genuine"
    assert open_alerts(app) == []


def test_strangers_scanning_a_registered_unit_raise_an_alert(app, world):
    set_thresholds(app, clone_max_strangers=2, clone_max_clients=50)
    with app.app_context():
        register_unit(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[0]), purchased_on=None)
        db.session.commit()
    path = signed_path(app, world.unit_ids_a[0])
    scan_from(app, path, 1)
    assert scan_from(app, path, 2).get_json()["warnings"][0]["code"] == "clone_suspected"
    assert open_alerts(app)[0].kind == "strangers"


def test_far_apart_places_faster_than_travel_raise_an_alert(app, world):
    path = signed_path(app, world.unit_ids_a[0])
    for device, (lat, lon) in enumerate([(48.8566, 2.3522), (35.6762, 139.6503)]):  # Paris, then Tokyo
        page = app.test_client().get(path, headers={"User-Agent": f"phone-{device}"},
                                     follow_redirects=True).get_data(as_text=True)
        token = page.split('data-token="')[1].split('"')[0]
        placed = app.test_client().post("/scans/place", json={"token": token, "lat": lat, "lon": lon})
        assert placed.status_code == 200
    alerts = open_alerts(app)
    assert len(alerts) == 1 and alerts[0].kind == "impossible_travel" and "km/h" in alerts[0].evidence


def test_a_forged_scan_token_cannot_place_a_scan(app, world):
    response = app.test_client().post("/scans/place", json={"token": "forged", "lat": 1, "lon": 2})
    assert response.status_code == 400


def test_confirming_clones_marks_the_code_copied_and_a_fresh_label_restores_the_unit(app, world):
    set_thresholds(app, clone_max_clients=2)
    path = signed_path(app, world.unit_ids_a[0])
    scan_from(app, path, 1)
    scan_from(app, path, 2)
    alert_id = open_alerts(app)[0].id
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    page = admin.get(f"/console/acme/alerts/{alert_id}").get_data(as_text=True)
    assert "2 different devices" in page and "Scan timeline" in page
    assert admin.post(f"/console/acme/alerts/{alert_id}/decision", data={"decision": "confirm"}).status_code == 302
    copied = scan_from(app, path, 3).get_json()
    assert copied["verdict"] == "not_genuine" and "copied" in copied["message"]
    assert admin.post(f"/console/acme/units/{world.unit_ids_a[0]}/labels").status_code == 302
    pdf = admin.get(f"/console/acme/units/{world.unit_ids_a[0]}/label.pdf")
    assert pdf.status_code == 200 and world.serials_a[0] in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    with app.app_context():
        unit = db.session.get(Unit, world.unit_ids_a[0])
        fresh = urlsplit(label_uri(unit.model.gtin, unit.serial, current_label(unit)))
    assert scan_from(app, f"{fresh.path}?{fresh.query}", 9).get_json()["verdict"] == "genuine"


def test_a_dismissed_alert_leaves_the_code_genuine(app, world):
    set_thresholds(app, clone_max_clients=2)
    path = signed_path(app, world.unit_ids_a[0])
    scan_from(app, path, 1)
    scan_from(app, path, 2)
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    admin.post(f"/console/acme/alerts/{open_alerts(app)[0].id}/decision", data={"decision": "dismiss"})
    assert scan_from(app, path, 1).get_json()["verdict"] == "genuine"


def test_a_counterfeit_report_with_a_photo_reaches_the_manufacturers_console(app, world):
    photo = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 0, 0)).save(photo, format="JPEG")
    sent = app.test_client().post("/report", data={
        "gtin": world.gtin_a, "serial": world.serials_a[0], "message": "Logo is blurry and the box is wrong",
        "where_seen": "Market stall, Lyon", "photo": (io.BytesIO(photo.getvalue()), "fake.jpg")},
        content_type="multipart/form-data", follow_redirects=True)
    assert sent.status_code == 200 and "Thank you" in sent.get_data(as_text=True)
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    page = admin.get("/console/acme/reports").get_data(as_text=True)
    assert "Logo is blurry" in page and "Market stall" in page
    with app.app_context():
        report_id = db.session.scalar(select(CounterfeitReport.id))
    assert admin.get(f"/console/acme/reports/{report_id}/photo").status_code == 200
    other = app.test_client()
    login(other, world.staff_b["admin"])
    assert "Logo is blurry" not in other.get("/console/bravo/reports").get_data(as_text=True)


def test_a_report_with_a_bad_photo_is_refused_and_nothing_stored(app, world):
    response = app.test_client().post("/report", data={"message": "This seems fake to me",
                                                       "photo": (io.BytesIO(b"not an image"), "x.jpg")},
                                      content_type="multipart/form-data")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(CounterfeitReport)) is None


def test_admin_prints_a_label_sheet_for_a_lot(app, world):
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    response = admin.post("/console/acme/labels", data={"model_id": world.model_id_a, "lot": "L1"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert all(serial in text for serial in world.serials_a) and world.gtin_a in text
    empty = admin.post("/console/acme/labels", data={"model_id": world.model_id_a, "lot": "NOPE"})
    assert empty.status_code == 422 and "No units match" in empty.get_data(as_text=True)


# NFC: real SUN messages the way an NTAG 424 DNA tag makes them (tests/support/taps.py), with keys derived
# from the master key.
@pytest.fixture
def tag(app, world):
    uid = bytes.fromhex("04A1B2C3D4E5F6")
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        master = create_master_key(acme, actor="test")
        db.session.get(Unit, world.unit_ids_a[0]).nfc_uid = uid.hex().upper()
        db.session.commit()
    return uid, diversify_key(master, uid, b"sdm-meta-read"), diversify_key(master, uid, b"sdm-file-read")


def tap(app, world, query, serial=None):
    response = app.test_client().get(f"/nfc/{world.gtin_a}/{serial or world.serials_a[0]}?{query}",
                                     headers={"Accept": "application/json"})
    return response.status_code, response.get_json()


def test_a_genuine_tap_verifies_and_its_replay_is_refused(app, world, tag):
    uid, meta, file = tag
    first = tap_query(meta, file, uid, 5)
    assert tap(app, world, first)[1]["verdict"] == "genuine"
    _status, replay = tap(app, world, first)
    assert replay["verdict"] == "not_genuine" and replay["reason"] == "replayed_tap" and "replayed" in replay["message"]
    assert tap(app, world, tap_query(meta, file, uid, 4))[1]["reason"] == "replayed_tap"  # an older counter too
    assert tap(app, world, tap_query(meta, file, uid, 6))[1]["verdict"] == "genuine"


def test_a_tap_with_a_wrong_cmac_or_another_tags_uid_is_not_genuine(app, world, tag):
    uid, meta, file = tag
    query = tap_query(meta, file, uid, 7)
    forged = query[:-1] + ("0" if query[-1] != "0" else "1")
    assert tap(app, world, forged)[1]["reason"] == "bad_tap"
    other_uid = bytes.fromhex("04FFFFFFFFFF01")
    with app.app_context():
        master_tenant = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        master = decrypt_secret(master_tenant.nfc_master_key_enc)
    foreign = tap_query(diversify_key(master, other_uid, b"sdm-meta-read"), file, other_uid, 8)
    assert tap(app, world, foreign)[1]["verdict"] == "not_genuine"


@pytest.mark.parametrize("query", ["picc_data=XYZ&cmac=00", "cmac=0011", "uid=04&ctr=1&cmac=2"])
def test_a_malformed_tap_is_a_4xx_problem(app, world, tag, query):
    status, body = tap(app, world, query)
    assert status == 400 and body["detail"]


def test_a_unit_without_a_registered_tag_cannot_be_verified(app, world):
    _status, body = tap(app, world, "picc_data=" + "0" * 32 + "&cmac=" + "0" * 16)
    assert body["verdict"] == "cannot_verify" and body["reason"] == "unknown_tag"


def test_a_device_fingerprint_is_a_keyed_hash_under_a_key_of_the_day(app):
    import hashlib
    import hmac
    from datetime import date

    from portal.authenticity.clones import client_fingerprint

    with app.app_context():
        secret = app.config["SECRET_KEY"].encode()
        day = date(2026, 12, 7)
        day_key = hmac.new(secret, b"2026-12-07", hashlib.sha256).digest()
        expected = hmac.new(day_key, b"203.0.113.9|phone-1", hashlib.sha256).hexdigest()[:24]
        assert client_fingerprint("203.0.113.9", "phone-1", day=day) == expected  # scans of one day stay comparable
        assert client_fingerprint("203.0.113.9", "phone-1", day=date(2026, 12, 8)) != expected  # not linkable
        assert client_fingerprint("203.0.113.9", "phone-2", day=day) != expected
