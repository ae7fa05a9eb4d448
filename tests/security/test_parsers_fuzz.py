"""Property-based tests for the parsers of outside input that tests/core/test_gs1.py and
tests/authenticity/test_nfc.py do not cover yet: CSV import rows, NFC taps and signed-code parameters
end to end, and the scan-place JSON. Outside input gets an answer (a verdict, a per-row error, a 4xx),
never an exception or a 500.
"""
from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.authenticity.clones import record_scan
from portal.authenticity.models import Scan
from portal.authenticity.taps import create_master_key, verify_tap
from portal.authenticity.verify import MalformedCode, Verdict
from portal.authenticity.views import _scan_token
from portal.catalog.importer import COLUMNS, import_units_csv
from portal.catalog.models import Manufacturer, Unit
from portal.extensions import db
from tests.factories import build_world

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
HEX = "0123456789abcdefABCDEF"


@pytest.fixture
def world(app):
    return build_world(app)


# --- CSV import rows ------------------------------------------------------------------------------------

GOOD = {
    # typed separators are dropped by the one normaliser (core.gs1.canonical_gtin), as in every form
    "gtin": st.sampled_from(["04012345000016", "4012345000016", "0401 2345-00001 6", "4012345.000016"]),
    "lot": st.sampled_from(["", "L1", "LOT-7"]),
    "manufactured_on": st.sampled_from(["", "2025-01-10", "2024-12-31"]),
    "parent_gtin": st.just(""),
    "parent_serial": st.just(""),
    "nfc_uid": st.just(""),
}
BAD = {
    "gtin": st.sampled_from(["04012345000017", "05012345000015", "12", "x", "0401234500001 7", "0401234500001_6"]),
    "serial": st.sampled_from(["", "HAS SPACE", "HASH#1", "Ü-1", "S" * 21]),
    "lot": st.sampled_from(["BAD LOT", "L" * 21, "L#1"]),
    "manufactured_on": st.sampled_from(["2025-13-01", "yesterday", "2999-01-01", "31/01/2025"]),
    "parent_gtin": st.sampled_from(["04012345000016"]),  # a parent GTIN without its serial
    "nfc_uid": st.sampled_from(["XYZ", "04A1B2", "04A1B2C3D4E5F6FF"]),
}


@st.composite
def import_rows(draw):
    """(cells, verdict) with verdict "good" (must land), "bad" (must be rejected) or "any" (arbitrary text)."""
    kind = draw(st.sampled_from(["good", "bad", "any", "width"]))
    if kind == "any":
        cells = draw(st.lists(st.text(max_size=25), min_size=0, max_size=9))
        return cells, "any"
    serial = draw(st.from_regex(r"[A-Z0-9]{1,8}-F", fullmatch=True))  # "-F": never one of the world's serials
    row = {c: draw(GOOD[c]) if c in GOOD else serial for c in COLUMNS}
    if kind == "bad":
        column = draw(st.sampled_from(sorted(BAD)))
        row[column] = draw(BAD[column])
    cells = [row[c] for c in COLUMNS]
    if kind == "width":
        cells = cells + ["extra"] if draw(st.booleans()) else cells[:draw(st.integers(2, 6))]
        return cells, "bad"
    return cells, kind


def blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


@FUZZ
@given(rows=st.lists(import_rows(), max_size=12))
def test_arbitrary_rows_never_crash_the_importer_and_every_bad_row_gets_its_own_error(app, world, rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for cells, _ in rows:
        writer.writerow(cells)
    with app.app_context():
        try:
            tenant = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
            report = import_units_csv(tenant, out.getvalue(), actor="fuzz")
            # The reader's record numbers: line 1 is the header, blank records are skipped but counted.
            records = [(line, cells, verdict) for line, (cells, verdict) in enumerate(rows, start=2)
                       if not blank(cells)]
            rejected = dict(report.rejected)
            assert report.total == len(records)
            assert len(rejected) == report.rejected_count  # one error per rejected row, none twice
            assert all(isinstance(reason, str) and reason.strip() for reason in rejected.values())
            assert set(rejected) <= {line for line, _, _ in records}
            serials = [cells[1] for _, cells, verdict in records if verdict == "good"]
            for line, cells, verdict in records:
                if verdict == "bad":
                    assert line in rejected, (cells, report)
                if verdict == "good" and serials.count(cells[1]) == 1:
                    assert line not in rejected, (cells, rejected.get(line))
        finally:
            db.session.rollback()


# --- NFC taps ------------------------------------------------------------------------------------------

@pytest.fixture
def tagged(app, world):
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        create_master_key(acme, actor="test")
        db.session.get(Unit, world.unit_ids_a[0]).nfc_uid = "04A1B2C3D4E5F6"
        db.session.commit()
    return world


def hex_of(*lengths: int):
    return st.one_of(*(st.text(alphabet=HEX, min_size=n, max_size=n) for n in lengths))


SUN_VALUES = st.one_of(hex_of(0, 6, 14, 16, 32, 64), st.text(max_size=40))
SUN_QUERIES = st.one_of(
    st.text(max_size=120),
    st.lists(st.tuples(st.sampled_from(["e", "c", "picc_data", "cmac", "enc", "uid", "ctr", "x", ""]), SUN_VALUES),
             max_size=5).map(lambda pairs: "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)),
)


@FUZZ
@given(query=SUN_QUERIES)
def test_any_nfc_query_gives_a_verdict_or_a_clear_malformed_error(app, tagged, query):
    with app.app_context():
        try:
            verdict, counter = verify_tap(tagged.gtin_a, tagged.serials_a[0], query)
        except MalformedCode as err:
            assert str(err)
        else:
            assert isinstance(verdict, Verdict) and verdict.message
            assert counter is None or 0 <= counter < 1 << 24
        finally:
            db.session.rollback()


@FUZZ
@given(query=SUN_QUERIES, serial=st.one_of(st.just("ACME-0001"), st.text(min_size=1, max_size=25)))
@example(query="", serial="/0")  # once a 308 to /nfc/<gtin>/0: merged slashes read another serial
@example(query="", serial="A/B")  # a GS1 serial may hold '/'
def test_the_nfc_page_answers_any_query_with_a_verdict_or_a_4xx(app, tagged, query, serial):
    response = app.test_client().get(f"/nfc/{tagged.gtin_a}/{quote(serial, safe='')}",
                                     query_string=quote(query, safe="&=%"), headers={"Accept": "application/json"})
    assert response.status_code < 500
    body = response.get_json()
    assert body.get("verdict") or body.get("detail")


# --- signed code parameters (s, k, n) on the QR target -------------------------------------------------

@FUZZ
@given(params=st.dictionaries(st.sampled_from(["s", "k", "n", "x"]),
                              st.one_of(st.text(max_size=90), st.from_regex(r"[A-Za-z0-9_-]{0,90}", fullmatch=True),
                                        st.integers(-5, 10**12).map(str)), max_size=4))
def test_the_verdict_page_answers_any_signature_parameters(app, world, params):
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    response = app.test_client().get(f"/01/{world.gtin_a}/21/{world.serials_a[0]}", query_string=query,
                                     headers={"Accept": "application/json"})
    assert response.status_code < 500
    body = response.get_json()
    assert body.get("verdict") or body.get("detail")


# --- the consented scan location (JSON from the verdict page) -------------------------------------------

JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                      max_size=3), max_leaves=8)


@FUZZ
@given(body=st.one_of(JSON_VALUES, st.fixed_dictionaries({"token": JSON_VALUES, "lat": JSON_VALUES,
                                                          "lon": JSON_VALUES})))
def test_the_scan_place_endpoint_answers_any_json_with_a_4xx(app, world, body):
    response = app.test_client().post("/scans/place", data=json.dumps(body), content_type="application/json")
    assert response.status_code in (400, 409)
    assert response.get_json()["ok"] is False


@FUZZ
@given(lat=JSON_VALUES | st.floats(allow_nan=True, allow_infinity=True).map(str), lon=JSON_VALUES)
@example(lat="46.2", lon="500")  # half a place: once stored, the next placed scan's travel check crashed
@example(lat=46.2, lon=6.1)
def test_a_genuine_scan_token_with_any_coordinates_is_answered_without_a_500(app, world, lat, lon):
    with app.app_context():
        scan = record_scan(db.session.get(Unit, world.unit_ids_a[0]), "genuine", "ok", client="fuzz")
        db.session.commit()
        token = _scan_token(scan.id)
    response = app.test_client().post("/scans/place", data=json.dumps({"token": token, "lat": lat, "lon": lon}),
                                      content_type="application/json")
    assert response.status_code in (200, 400, 409)
    with app.app_context():
        half = db.session.scalar(select(func.count()).select_from(Scan).where(
            (Scan.lat.is_(None) & Scan.lon.is_not(None)) | (Scan.lat.is_not(None) & Scan.lon.is_(None))))
        assert half == 0
