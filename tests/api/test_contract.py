"""Contract: schemathesis drives every operation of /api/v1/openapi.json, with valid and invalid input,
holding a token with every scope and one with none; no answer may be a 5xx or break the document.

Path parameters are sometimes those of real records (a unit, a claim), so the answers of existing
records are checked against the document too, not only the 404s of invented ones.
"""
from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.catalog.import_jobs import run_import_job, start_import
from portal.catalog.models import Manufacturer, Unit
from portal.catalog.services import add_model, create_unit
from portal.core.storage import StoredFile
from portal.demo import gtin_for
from portal.extensions import db
from portal.ownership.services import register_unit
from portal.recalls import services as recalls
from portal.warranty import services as warranty
from tests.factories import GPSR_NOTICE
from tests.support.api import ALL_SCOPES, make_token

#: Not negative_data_rejection: the token travels in a header we add to every case, so a generated case that
#: "drops" Authorization still carries it, and unknown query parameters are ignored by design.
EPCIS = Path(__file__).parent / "epcis" / "digital-link"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES = 40
CONTRACT_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                             suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])


@pytest.fixture
def records(app, world, monkeypatch) -> dict:
    """A registered unit with a claim, under a launched recall, and a finished import job: real things for
    the operations to find. Posted imports only queue their job: no thread races the generated requests."""
    monkeypatch.setitem(app.config, "IMPORT_JOBS_IN_PROCESS", False)
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        unit = db.session.get(Unit, world.unit_ids_a[0])
        register_unit(find_user(world.owner), unit, purchased_on=date.today() - timedelta(days=30), retailer="Shop",
                      proof=StoredFile(key="r.pdf", mime="application/pdf", name="r.pdf", size=10))
        claim = warranty.file_claim(find_user(world.owner), unit, category="does_not_work", started_on=None,
                                    description="It stopped ticking overnight.")
        campaign = recalls.save_draft(acme, actor="test", **GPSR_NOTICE, number="R-1", title="Strap pin", hazard="Strap may detach",
                                      criteria={"model_ids": [world.model_id_a]})
        recalls.launch(campaign, remedy_available=True, actor="test")
        spare = add_model(acme, gtin=gtin_for("4012345", 2), name="Acme Two", warranty_months=12, actor="test")
        create_unit(acme, gtin=spare.gtin, serial="FREE-1", actor="test")  # outside the recall: it may be sold
        job = start_import(acme, io.BytesIO(f"gtin,serial\n{world.gtin_a},JOB-1\n,\n".encode()), filename="u.csv",
                           actor="test")
        db.session.commit()
        run_import_job(job.id)  # done, with a one-row error report to read
        return {"gtin": world.gtin_a, "serials": world.serials_a, "claim": claim.number, "spare": spare.gtin,
                "job": job.id}


def run_contract(app, records, token: str) -> list[tuple[str, Exception]]:
    """Every operation, valid and invalid input, a few real path parameters among invented ones."""
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    real = {"{serial}": [{"gtin": records["gtin"], "serial": s} for s in records["serials"]],
            "{number}": [{"number": records["claim"]}], "{job_id}": [{"job_id": records["job"]}]}
    today = date.today().isoformat()
    bodies = {  # valid requests on real records, so successful answers are checked too
        "POST /api/v1/sales": {"gtin": records["spare"], "serial": "FREE-1", "retailer": "Shop", "sold_on": today,
                               "buyer_email": "buyer@example.test"},
        "POST /api/v1/remedies": {"campaign": "R-1", "gtin": records["gtin"], "serial": records["serials"][1],
                                  "by": "Workshop", "what": "Pin replaced"},
        "POST /api/v1/units": {"units": [{"gtin": records["gtin"], "serial": "NEW-1"},
                                         {"gtin": records["gtin"], "serial": records["serials"][0]}]},
    }
    media_bodies = {  # (media type, body) where an operation takes more than one
        "POST /api/v1/epcis/capture": ("application/ld+json", json.loads((EPCIS / "01-commissioning.jsonld").read_text())),
        "POST /api/v1/imports": ("text/csv", f"gtin,serial\n{records['gtin']},CSV-1\n{records['gtin']},BAD SERIAL\n"),
    }
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17, [o.label for o in operations]
    for operation in operations:
        strategies = []
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies.append(operation.as_strategy(mode))
            for marker, choices in real.items():
                if marker in operation.path:
                    strategies += [operation.as_strategy(mode, path_parameters=p) for p in choices]
        if operation.label in bodies:
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE, body=bodies[operation.label]))
        if operation.label in media_bodies:
            media_type, body = media_bodies[operation.label]
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE, body=body, media_type=media_type))
        if operation.label == "POST /api/v1/claims/{number}/transitions":
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real["{number}"][0],
                                                    body={"to": "in_review"}))

        @given(case=st.one_of(strategies))
        @CONTRACT_SETTINGS
        def keeps_contract(case):
            response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
            assert response.status_code < 500

        try:
            keeps_contract()
        except Exception as err:  # noqa: BLE001 - gather every operation's failure, then report them all
            failures.append((operation.label, err))
    return failures


def test_every_operation_keeps_its_contract_with_every_scope(app, records, world):
    failures = run_contract(app, records, make_token(app, world, ALL_SCOPES, name="Contract, every scope"))
    assert not failures, "\n\n".join(f"{label}: {err}" for label, err in failures)


def test_every_operation_keeps_its_contract_without_scopes(app, records, world):
    failures = run_contract(app, records, make_token(app, world, [], name="Contract, no scope"))
    assert not failures, "\n\n".join(f"{label}: {err}" for label, err in failures)
