"""GS1's published EPCIS 2.0 example documents (the JSON/ folder of the gs1/EPCIS repository) through capture.

GS1 publishes them with a disclaimer but no licence to copy, so they are not in this repository
(docs/epcis.md, "Conformance checks"). This test reads a local copy: EPCIS_EXAMPLES names the folder,
~/.cache/provenance/gs1-epcis/JSON otherwise; without one it is skipped and says so.

Each document goes to acme (which then also holds the examples' prefix 0614141) with
GS1-Capture-Error-Behaviour: proceed, as a partner would send it. No document may be refused as a
document or end in a server error; an event may only fail for a reason a partner can act on (its units
are not acme's, or a rule of the standard the example itself breaks, listed in KNOWN). What was captured
is then read back and must validate against the standard's schema.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.catalog.models import CompanyPrefix, Manufacturer
from portal.extensions import db
from tests.epcis.schema import assert_valid
from tests.support.epcis import capture


def examples_folder() -> Path | None:
    given = os.environ.get("EPCIS_EXAMPLES")
    path = Path(given) if given else Path.home() / ".cache" / "provenance" / "gs1-epcis" / "JSON"
    return path if path.is_dir() else None


FOLDER = examples_folder()
EXAMPLES = sorted(FOLDER.rglob("*.jsonld")) if FOLDER else []
#: What an event of an example may fail for: units that are not the tenant's, and nothing else.
ACTIONABLE = ("not among your units", "is not one of your product models", "the parent is not among your units")


@pytest.fixture
def gs1_prefix(app, world):
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        db.session.add(CompanyPrefix(manufacturer_id=acme.id, prefix="0614141"))
        db.session.commit()


@pytest.mark.skipif(FOLDER is None, reason="GS1's example documents are not on this machine (set EPCIS_EXAMPLES "
                                           "to the JSON/ folder of gs1/EPCIS)")
def test_every_published_example_is_taken_and_read_back_valid(app, client, world, token, gs1_prefix):
    outcomes = {}
    for path in EXAMPLES:
        body = path.read_bytes()
        try:
            json.loads(body)
        except ValueError:  # a few files of the folder are annotated with comments: not JSON, not examples
            continue
        job = capture(client, token, body, behaviour="proceed")
        outcomes[path.name] = job
        assert not [e for e in job["errors"] if "Implementation" in e["type"]], (path.name, job["errors"])
        unexpected = [e["detail"] for e in job["errors"] if "eventIndex" in e
                      and not any(words in e["detail"] for words in ACTIONABLE)]
        assert not unexpected, (path.name, unexpected)
    print(f"{len(outcomes)} documents, {sum(j['eventCount'] for j in outcomes.values())} events, "
          f"{sum(j['captured'] for j in outcomes.values())} captured, "
          f"{sum(j['rejected'] for j in outcomes.values())} not acme's units")
    assert len(outcomes) >= 40
    assert sum(job["captured"] for job in outcomes.values()) >= 20

    found = client.get("/epcis/events?perPage=500", headers={"Authorization": f"Bearer {token}"})
    assert found.status_code == 200
    assert_valid(found.get_json())
