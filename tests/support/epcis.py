"""EPCIS REST binding helpers: the GS1-style documents in either form and builders for new ones, the watch
movements' GTIN, and capturing through /epcis/capture and following the job."""
from __future__ import annotations

import copy
import json
import time
from pathlib import Path

from sqlalchemy import select

from portal.catalog.models import ProductModel, Unit
from portal.demo import gtin_for
from portal.extensions import db

DOCUMENTS = Path(__file__).parent.parent / "api" / "epcis"
FORMS = ["urn", "digital-link"]
MOVEMENT = gtin_for("4012345", 2)
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]


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
