"""Capture jobs in the background: the request stores the document and answers 202 while the job is still
running; the worker (or the web process's thread) captures it chunk by chunk, shows progress, resumes a
proceed capture after a crash at the first event not committed, and starts a rollback capture again."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from portal.catalog.epcis import capture as capture_module
from portal.catalog.epcis.jobs import pending_capture_jobs, run_capture_job
from portal.catalog.epcis.models import CapturedEvent, CaptureJob
from portal.catalog.models import UnitEvent
from portal.core.db import utcnow
from portal.extensions import db
from tests.support.epcis import CONTEXT, events_of, finished, post, unit_state, wrap


@pytest.fixture
def no_thread(app, monkeypatch):
    """As in production: the request opens the job, the worker runs it."""
    monkeypatch.setitem(app.config, "EPCIS_JOBS_IN_PROCESS", False)
    monkeypatch.setitem(app.config, "EPCIS_CAPTURE_CHUNK", 1)


def shipments(world, count: int = 3) -> dict:
    """One shipping ObjectEvent per acme watch, each its own eventID."""
    event = events_of("urn", "02-shipping")[0]
    serial = world.serials_a
    return wrap([dict(event, eventID=f"urn:uuid:ship-{n}",
                      epcList=[f"urn:epc:id:sgtin:4012345.000001.{serial[n]}"]) for n in range(count)])


def job_row(app, location: str) -> CaptureJob:
    with app.app_context():
        job = db.session.scalar(select(CaptureJob).where(CaptureJob.capture_id == location.rsplit("/", 1)[1]))
        db.session.expunge(job)
        return job


def stored(app, key: str) -> Path:
    return Path(app.config["UPLOAD_FOLDER"]) / key


def captured_ids(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(CapturedEvent.event_id)))


def test_the_answer_comes_before_the_capture_and_the_worker_finishes_the_job(app, client, world, token, no_thread):
    response = post(client, token, shipments(world), wait=False)

    assert response.status_code == 202
    running = client.get(response.headers["Location"], headers={"Authorization": f"Bearer {token}"}).get_json()
    assert running["running"] is True and running["progress"] == {"eventCount": 3, "eventsDone": 0}
    assert captured_ids(app) == []
    key = job_row(app, response.headers["Location"]).file_key
    assert stored(app, key).is_file()

    with app.app_context():
        ids = pending_capture_jobs()
        assert len(ids) == 1 and run_capture_job(ids[0]) is True
        assert pending_capture_jobs() == []

    job = finished(client, token, response.headers["Location"])
    assert (job["success"], job["captured"]) == (True, 3)
    assert unit_state(app, world.gtin_a, world.serials_a[2])["status"] == "in_transit"
    assert not stored(app, key).exists()  # the document goes once the job is finished


class Crash(BaseException):
    """The process dies: nothing catches this, as nothing catches a kill."""


def crash_on_chunk(monkeypatch, number: int) -> None:
    real, calls = capture_module.Capture.feed, []

    def feed(self, events):
        calls.append(1)
        if len(calls) == number:
            raise Crash
        return real(self, events)

    monkeypatch.setattr(capture_module.Capture, "feed", feed)


def make_stale(app, job_id: int) -> None:
    with app.app_context():
        db.session.execute(update(CaptureJob).where(CaptureJob.id == job_id)
                           .values(heartbeat_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()


def test_a_proceed_capture_that_died_resumes_after_the_last_chunk_it_committed(app, client, world, token, no_thread,
                                                                                 monkeypatch):
    response = post(client, token, shipments(world), headers={"GS1-Capture-Error-Behaviour": "proceed"}, wait=False)
    job_id = job_row(app, response.headers["Location"]).id
    crash_on_chunk(monkeypatch, 3)
    with app.app_context(), pytest.raises(Crash):
        run_capture_job(job_id)
    with app.app_context():
        db.session.rollback()
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "EPCIS_JOBS_IN_PROCESS", False)
    monkeypatch.setitem(app.config, "EPCIS_CAPTURE_CHUNK", 1)

    half = client.get(response.headers["Location"], headers={"Authorization": f"Bearer {token}"}).get_json()
    assert half["running"] is True and half["progress"]["eventsDone"] == 2
    assert captured_ids(app) == ["urn:uuid:ship-0", "urn:uuid:ship-1"]
    with app.app_context():
        assert run_capture_job(job_id) is False  # its heartbeat is fresh: it may still be running somewhere
        assert pending_capture_jobs() == []
    make_stale(app, job_id)

    with app.app_context():
        assert pending_capture_jobs() == [job_id] and run_capture_job(job_id) is True

    job = finished(client, token, response.headers["Location"])
    assert (job["success"], job["captured"], job["duplicates"], job["eventCount"]) == (True, 3, 0, 3)
    assert captured_ids(app) == ["urn:uuid:ship-0", "urn:uuid:ship-1", "urn:uuid:ship-2"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UnitEvent)
                                 .where(UnitEvent.epcis_event_id.is_not(None))) == 3
        assert db.session.get(CaptureJob, job_id).attempts == 2


def test_a_rollback_capture_that_died_left_nothing_and_starts_again(app, client, world, token, no_thread, monkeypatch):
    response = post(client, token, shipments(world), wait=False)
    job_id = job_row(app, response.headers["Location"]).id
    crash_on_chunk(monkeypatch, 3)
    with app.app_context(), pytest.raises(Crash):
        run_capture_job(job_id)
    with app.app_context():
        db.session.rollback()  # what the database does with the open transaction of a process that died
    monkeypatch.undo()
    assert captured_ids(app) == []
    make_stale(app, job_id)

    with app.app_context():
        assert run_capture_job(job_id) is True

    job = finished(client, token, response.headers["Location"])
    assert (job["success"], job["captured"]) == (True, 3)


def test_a_document_in_many_chunks_decides_each_against_the_earlier_ones(app, client, world, token, no_thread):
    """Chunks of one event: the shipping of a unit commissioned two chunks before, and the same event twice."""
    commissioning = events_of("urn", "01-commissioning")[0]
    shipping = dict(events_of("urn", "02-shipping")[0], eventID="urn:uuid:ship-mov",
                    epcList=["urn:epc:id:sgtin:4012345.000002.MOV-0002"])
    response = post(client, token, wrap([commissioning, shipping, shipping]), wait=False,
                    headers={"GS1-Capture-Error-Behaviour": "proceed"})
    with app.app_context():
        run_capture_job(job_row(app, response.headers["Location"]).id)

    job = finished(client, token, response.headers["Location"])
    assert (job["captured"], job["duplicates"], job["rejected"], job["unitsCreated"]) == (2, 1, 0, 3)
    assert unit_state(app, "04012345000023", "MOV-0002")["status"] == "in_transit"


@pytest.mark.parametrize(("body", "status", "words"), [
    (b'{"@context": "x", "type": "EPCISDocument", "epcisBody": {"eventList": [', 400, "not valid JSON"),
    (b'{"@context": "x", "type": "EPCISDocument", "epcisBody": {"eventList": ' + b"[" * 200 + b"]" * 200 + b"}}",
     400, "nests deeper"),
    (json.dumps({"type": "EPCISDocument", "epcisBody": {"eventList": []}}).encode(), 400, "@context"),
    (json.dumps({"@context": [], "type": "EPCISDocument", "epcisBody": {"eventList": []}}).encode(), 400, "@context"),
    (json.dumps({"@context": "x", "type": "Invoice"}).encode(), 400, "not an EPCIS document"),
    (json.dumps({"@context": "x", "type": "EPCISDocument", "epcisBody": {}}).encode(), 400, "eventList"),
])
def test_a_refused_document_opens_no_job_and_keeps_no_file(app, client, world, token, body, status, words):
    before = set(Path(app.config["UPLOAD_FOLDER"]).rglob("epcis-*"))
    response = post(client, token, body)
    assert response.status_code == status and words in response.get_json()["detail"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaptureJob)) == 0
    assert set(Path(app.config["UPLOAD_FOLDER"]).rglob("epcis-*")) == before


def test_a_body_over_the_size_limit_is_refused_with_413(app, client, world, token, monkeypatch):
    monkeypatch.setitem(app.config, "API_MAX_EPCIS_BYTES", 200)
    response = post(client, token, shipments(world))
    assert response.status_code == 413
    assert response.get_json()["type"] == "epcisException:CaptureLimitExceededException"


def test_one_event_sent_alone_with_its_context_is_a_document_of_one(app, client, world, token):
    event = dict(events_of("urn", "02-shipping")[0], **{"@context": CONTEXT})
    response = post(client, token, event, wait=False)
    job = finished(client, token, response.headers["Location"])
    assert (job["success"], job["eventCount"], job["captured"]) == (True, 1, 1)
