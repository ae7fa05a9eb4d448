"""`flask --app portal epcis import`: the same capture as the API, from a file, with its report printed."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.catalog.epcis.models import CapturedEvent
from portal.catalog.models import Disposition, Manufacturer, ProductModel, Unit, UnitEvent
from portal.catalog.services import add_model
from portal.demo import gtin_for
from portal.extensions import db
from tests.factories import build_world

FIXTURES = Path(__file__).parent.parent / "api" / "epcis"


@pytest.fixture
def world(app):
    world = build_world(app)
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        add_model(acme, gtin=gtin_for("4012345", 2), name="Movement", warranty_months=24, actor="test")
        db.session.commit()
    return world


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Unit, UnitEvent, CapturedEvent))


def test_import_captures_a_document_prints_the_report_and_a_rerun_changes_nothing(app, world, cli, tmp_path):
    document = shutil.copy(FIXTURES / "urn" / "01-commissioning.jsonld", tmp_path / "line-3.jsonld")

    first = cli("epcis", "import", "acme", str(document))

    assert first.exit_code == 0, first.output
    assert "1 of 1 events captured, 0 duplicates, 0 rejected; 3 units commissioned" in first.output
    with app.app_context():
        made = db.session.scalar(select(Unit).join(ProductModel, ProductModel.id == Unit.model_id)
                                 .where(ProductModel.gtin == world.gtin_a, Unit.serial == "W-0100"))
        assert made.status is Disposition.ACTIVE and made.events[0].actor_label == "cli"
    before = counts(app)
    again = cli("epcis", "import", "acme", str(document))
    assert again.exit_code == 0 and "0 of 1 events captured, 1 duplicates" in again.output
    assert counts(app) == before


def test_import_lists_failed_events_and_with_atomic_refuses_the_file(app, world, cli, tmp_path):
    document = json.loads((FIXTURES / "urn" / "02-shipping.jsonld").read_text())
    good = document["epcisBody"]["eventList"][0]
    bad = dict(good, eventID="urn:uuid:bad", epcList=["urn:epc:id:sgtin:4012345.000001.NOPE-9"])
    document["epcisBody"]["eventList"] = [bad, good]
    path = tmp_path / "mixed.jsonld"
    path.write_text(json.dumps(document))
    before = counts(app)

    refused = cli("epcis", "import", "acme", str(path), "--atomic")

    assert refused.exit_code == 1 and "event 0 (urn:uuid:bad): not among your units" in refused.output
    assert "none was (atomic capture)" in refused.output
    assert counts(app) == before
    kept = cli("epcis", "import", "acme", str(path))
    assert kept.exit_code == 0 and "1 of 2 events captured" in kept.output and "NOPE-9" in kept.output


@pytest.mark.parametrize("content, message", [(b"{not json", "is not JSON"), (b'{"hello": 1}', "not an EPCIS document")])
def test_import_refuses_a_file_that_is_not_an_epcis_document(app, world, cli, tmp_path, content, message):
    path = tmp_path / "bad.jsonld"
    path.write_bytes(content)
    result = cli("epcis", "import", "acme", str(path))
    assert result.exit_code == 1 and message in result.output


def test_import_into_an_unknown_tenant_is_refused(app, world, cli):
    result = cli("epcis", "import", "nobody", str(FIXTURES / "urn" / "01-commissioning.jsonld"))
    assert result.exit_code == 1 and "No tenant called 'nobody'" in result.output
