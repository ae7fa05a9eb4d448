"""EPCIS REST binding fixtures: the two-tenant world with acme's watch movements, tokens, and helpers that
capture through /epcis/capture and follow the job, and that build GS1-style documents in either form."""
from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from portal.catalog.models import Manufacturer, ProductModel, Unit, UnitEvent
from portal.catalog.services import add_model
from portal.demo import gtin_for
from portal.extensions import db
from tests.factories import build_world
from tests.support.api import ALL_SCOPES, make_token

DOCUMENTS = Path(__file__).parent.parent / "api" / "epcis"
FORMS = ["urn", "digital-link"]
MOVEMENT = gtin_for("4012345", 2)
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]


@pytest.fixture
def world(app):
    """build_world, its units commissioned in January 2025 (before the documents' events), and acme's
    watch movements (a second product model)."""
    world = build_world(app)
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        add_model(acme, gtin=MOVEMENT, name="Movement", warranty_months=24, actor="test")
        db.session.execute(update(UnitEvent).values(occurred_at=datetime(2025, 1, 10, 12, tzinfo=UTC)))
        db.session.commit()
    return world


@pytest.fixture
def token(app, world):
    return make_token(app, world, ALL_SCOPES)


@pytest.fixture
def bravo_token(app, world):
    return make_token(app, world, ALL_SCOPES, tenant="bravo")


def document(form: str, name: str) -> dict:
    return json.loads((DOCUMENTS / form / f"{name}.jsonld").read_text())


def events_of(form: str, name: str) -> list[dict]:
    return copy.deepcopy(document(form, name)["epcisBody"]["eventList"])


def wrap(events: list[dict], **extra) -> dict:
    return {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2025-03-06T08:00:00Z", "epcisBody": {"eventList": events}, **extra}


def sgtin(form: str, gtin: str, serial: str) -> str:
    if form == "urn":
        return f"urn:epc:id:sgtin:{gtin[1:8]}.{gtin[0]}{gtin[8:13]}.{serial}"
    return f"https://id.gs1.org/01/{gtin}/21/{serial}"


def post(client, token: str, body, *, headers: dict | None = None, content_type: str = "application/ld+json",
         wait: bool = True):
    """POST to /epcis/capture; on a 202, wait (unless told not to) until the job's background thread is done,
    so no capture outlives its test."""
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    response = client.post("/epcis/capture", data=data, headers={
        "Authorization": f"Bearer {token}", "Content-Type": content_type, **(headers or {})})
    if wait and response.status_code == 202:
        finished(client, token, response.headers["Location"])
    return response


def capture(client, token: str, body, *, behaviour: str | None = None) -> dict:
    """POST a document, expect 202 and a Location, and return the capture job found there once the background
    thread has finished it."""
    headers = {"GS1-Capture-Error-Behaviour": behaviour} if behaviour else {}
    response = post(client, token, body, headers=headers, wait=False)
    assert response.status_code == 202, response.get_data(as_text=True)
    return finished(client, token, response.headers["Location"])


def finished(client, token: str, location: str, *, timeout: float = 60) -> dict:
    """The capture job at `location`, asked again until it is no longer running."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(location, headers={"Authorization": f"Bearer {token}"})
        assert job.status_code == 200, job.get_data(as_text=True)
        if not job.get_json()["running"]:
            return job.get_json()
        assert time.monotonic() < deadline, f"the capture job is still running after {timeout} s"
        time.sleep(0.05)


def unit_state(app, gtin: str, serial: str) -> dict | None:
    with app.app_context():
        found = db.session.scalar(select(Unit).join(ProductModel, ProductModel.id == Unit.model_id)
                                  .where(ProductModel.gtin == gtin, Unit.serial == serial))
        if found is None:
            return None
        return {"id": found.id, "status": found.status.value,
                "parent": (found.parent.model.gtin, found.parent.serial) if found.parent else None,
                "events": [(e.biz_step.value, e.disposition.value, e.note, e.retraction) for e in found.events]}
