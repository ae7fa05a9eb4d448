"""Capture jobs of the EPCIS REST binding: a capture is a job with an address, reporting running, success or
failure with per-event errors.

`receive` stores the request's document (spooled to instance storage, never whole in memory), checks it
in one streaming pass (JSON, @context, at most GS1-EPCIS-Capture-Limit events) and opens the job; the
request answers 202 at once. `run_capture_job` then captures it: in a daemon thread of the web process in
development and tests (EPCIS_JOBS_IN_PROCESS, the default), or in `flask worker`. It reads the document
event by event and captures CHUNK events at a time (capture.Capture), so memory stays flat.

- `rollback` (the default) is one transaction: any failing event and the whole capture is rolled back.
  Progress and heartbeats are committed beside it on PostgreSQL; SQLite has one writer, so there the job
  shows its progress only at the end. A run that died left nothing behind and starts again.
- `proceed` commits each chunk together with the job's progress and report so far, so a run that died is
  resumed at the first event not committed.

A run claims the job with a conditional UPDATE (so a thread and the worker never both run it); a job whose
heartbeat is older than STALE_AFTER is claimed again. The outcome is written only if this run still holds
the claim. The document is deleted once the job is finished.
"""
from __future__ import annotations

import gc
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from portal.catalog.epcis.capture import CHUNK, Capture, chunked
from portal.catalog.epcis.document import collector_paused
from portal.catalog.epcis.models import CaptureJob, JobState
from portal.catalog.epcis.report import CaptureReport
from portal.catalog.epcis.stream import read_events, scan, spool
from portal.catalog.models import Manufacturer
from portal.core.db import utcnow
from portal.core.errors import DomainError, Invalid, NotFound
from portal.core.storage import remove_stored
from portal.extensions import db

BEHAVIOURS = ("rollback", "proceed")
ERROR_TYPE = "epcisException:ValidationException"
#: A running job whose heartbeat is older than this is presumed dead and run again (SQLite cannot beat
#: while a rollback capture holds its only write lock, so this leaves such a capture minutes).
STALE_AFTER = timedelta(minutes=5)


def check_behaviour(behaviour: str) -> str:
    if behaviour not in BEHAVIOURS:
        raise Invalid(f"GS1-Capture-Error-Behaviour is rollback (the default) or proceed, not {behaviour[:20]!r}.",
                      field="GS1-Capture-Error-Behaviour")
    return behaviour


def start_job(tenant: Manufacturer, *, behaviour: str, events: int, actor: str, file_key: str | None = None,
              source: str = "") -> CaptureJob:
    job = CaptureJob(capture_id="c" + secrets.token_hex(12), manufacturer_id=tenant.id,
                     behaviour=check_behaviour(behaviour), events=events, actor_label=actor[:120],
                     state=JobState.RUNNING, created_at=utcnow(), file_key=file_key, source=source)
    db.session.add(job)
    db.session.flush()
    return job


def receive(tenant: Manufacturer, stream, *, behaviour: str, actor: str, limit: int | None,
            max_bytes: int) -> CaptureJob:
    """Store a document sent for capture and open its job (flushes; the caller commits). NotEpcis when the
    document is refused at once (not JSON, no @context, too many events): then nothing is kept."""
    check_behaviour(behaviour)
    key = spool(stream, max_bytes=max_bytes)
    try:
        found = scan(key, limit=limit)
        return start_job(tenant, behaviour=behaviour, events=found.count, actor=actor, file_key=key,
                         source=found.prefix)
    except BaseException:
        remove_stored(key)
        raise


def run_capture_job(job_id: int) -> bool:
    """Claim the job and capture its document; whether this call finished it. Commits as it goes."""
    attempt = _claim(job_id)
    if attempt is None:
        return False
    job = db.session.get(CaptureJob, job_id)
    tenant = db.session.get(Manufacturer, job.manufacturer_id)
    rollback = job.behaviour == "rollback"
    report = CaptureReport() if rollback or not job.report else CaptureReport.restored(json.loads(job.report))
    start = 0 if rollback else job.events_done
    file_key, source, actor, behaviour = job.file_key, job.source, job.actor_label, job.behaviour
    saved = job.report if not rollback else None
    capture = Capture(tenant, actor=actor, job_id=job_id, report=report)
    beats = not rollback or db.engine.dialect.name != "sqlite"
    size = current_app.config.get("EPCIS_CAPTURE_CHUNK", CHUNK)
    try:
        if not file_key:
            raise FileNotFoundError(job_id)
        done = start
        with collector_paused():  # reading the events too, not only capturing them (document.py)
            for events in chunked(read_events(file_key, source, skip=start), size):
                if not rollback or (done == start and not beats):
                    # A write first: pysqlite opens its transaction only at one, and a SAVEPOINT outside a
                    # transaction would be released as a commit of its own. (Not where _beat writes the row
                    # from its own connection: it would wait for this transaction's lock on it.)
                    _save(job_id, attempt)
                capture.feed(events)
                gc.collect(0)  # the chunk's own cycles (driver, statements), if any: this pass sees only them
                done = events[-1].index + 1
                if rollback:
                    if beats:
                        _beat(job_id, attempt, done)
                else:  # this chunk and the progress that says so commit together: a resumed run starts after it
                    saved = json.dumps(report.saved())
                    _save(job_id, attempt, events_done=done, report=saved)
                    db.session.commit()
        failed = rollback and report.rejected
        if failed:
            db.session.rollback()
        else:
            capture.finish()
        summary = _summary(report, behaviour=behaviour, captured=not failed)
        _save(job_id, attempt, events_done=done, report=json.dumps(summary, ensure_ascii=False),
              state=JobState.SUCCESS if not summary["errors"] else JobState.FAILURE, finished_at=utcnow())
        db.session.commit()
    except _Superseded:
        db.session.rollback()
        return False
    except Exception as exc:  # the job records any failure for the client waiting on it
        db.session.rollback()
        if isinstance(exc, DomainError):
            reason = str(exc)
        elif isinstance(exc, FileNotFoundError):
            reason = "The document sent is no longer there; send it again."
        else:
            current_app.logger.exception("EPCIS capture job %s failed", job_id)
            reason = "The capture stopped on an unexpected error. Send the document again later."
        captured = not rollback  # proceed: the chunks committed before stay captured, and their report
        kept = CaptureReport.restored(json.loads(saved)) if captured and saved else CaptureReport()
        summary = _summary(kept, behaviour=behaviour, captured=captured, failure=reason)
        try:
            _save(job_id, attempt, report=json.dumps(summary, ensure_ascii=False), state=JobState.FAILURE,
                  finished_at=utcnow())
            db.session.commit()
        except _Superseded:
            db.session.rollback()
            return False
    if file_key:
        remove_stored(file_key)
    return True


class _Superseded(Exception):
    """Another run claimed the job while this one was presumed dead."""


def _claim(job_id: int) -> int | None:
    jobs = CaptureJob.__table__
    now = utcnow()
    claimable = (jobs.c.state == JobState.RUNNING) & (
        (jobs.c.attempts == 0) | (jobs.c.heartbeat_at < now - STALE_AFTER))
    claimed = db.session.execute(update(jobs).where(jobs.c.id == job_id, claimable).values(
        attempts=jobs.c.attempts + 1, started_at=now, heartbeat_at=now))
    if claimed.rowcount != 1:
        db.session.rollback()
        return None
    attempt = db.session.scalar(select(jobs.c.attempts).where(jobs.c.id == job_id))
    db.session.commit()
    return attempt


def _save(job_id: int, attempt: int, **values) -> None:
    """Write the job's progress or outcome in the capture's transaction, if this run still holds it."""
    jobs = CaptureJob.__table__
    done = db.session.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.attempts == attempt,
                                                 jobs.c.state == JobState.RUNNING)
                              .values(heartbeat_at=utcnow(), **values))
    if done.rowcount != 1:
        raise _Superseded


def _beat(job_id: int, attempt: int, events_done: int) -> None:
    """Progress and heartbeat on a connection of their own, beside the capture's open transaction."""
    jobs = CaptureJob.__table__
    with db.engine.begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.attempts == attempt,
                                        jobs.c.state == JobState.RUNNING)
                     .values(events_done=events_done, heartbeat_at=utcnow()))


def _summary(report: CaptureReport, *, behaviour: str, captured: bool, failure: str | None = None) -> dict:
    errors = [{"type": ERROR_TYPE, "title": "Event not captured", "status": 400,
               "detail": e["detail"], "eventIndex": e["index"], "eventID": e["event_id"], "eventType": e["type"]}
              for e in report.errors]
    if report.rejected > len(report.errors):
        errors.append({"type": ERROR_TYPE, "title": "More events not captured", "status": 400,
                       "detail": f"{report.rejected - len(report.errors):,} more events failed; only the first "
                                 f"{len(report.errors):,} are listed."})
    if failure:
        errors.append({"type": "epcisException:ImplementationException", "title": "Capture not completed",
                       "status": 409 if captured else 500, "detail": failure})
    if not captured and behaviour == "rollback" and report.rejected:
        errors.append({"type": ERROR_TYPE, "title": "Nothing captured", "status": 400,
                       "detail": f"{report.rejected} of {report.events} events failed, so none was captured "
                                 "(GS1-Capture-Error-Behaviour: rollback). Fix them and send the document again, "
                                 "or send it with GS1-Capture-Error-Behaviour: proceed to keep the good ones."})
    return {"eventCount": report.events, "captured": report.accepted if captured else 0,
            "duplicates": report.duplicates if captured else 0, "rejected": report.rejected,
            "declaredErroneous": report.declared if captured else 0,
            "unitsCreated": report.units_created if captured else 0, "errors": errors,
            "notes": [{"eventIndex": n["index"], "eventID": n["event_id"], "detail": n["detail"]}
                      for n in report.notes]}


def pending_capture_jobs() -> list[int]:
    """Jobs no run has claimed yet, and those whose run stopped sending heartbeats (the worker runs them)."""
    stale = utcnow() - STALE_AFTER
    return list(db.session.scalars(select(CaptureJob.id).where(
        CaptureJob.state == JobState.RUNNING, CaptureJob.file_key.is_not(None),
        (CaptureJob.attempts == 0) | (CaptureJob.heartbeat_at < stale)).order_by(CaptureJob.id)))


def run_in_background(app, job_id: int) -> None:
    """Development and tests: run the job in a daemon thread of the web process (the worker in production)."""
    def work():
        with app.app_context():
            run_capture_job(job_id)

    threading.Thread(target=work, name=f"epcis-capture-{job_id}", daemon=True).start()


@dataclass(frozen=True)
class JobView:
    capture_id: str
    running: bool
    success: bool
    behaviour: str
    created_at: datetime
    finished_at: datetime | None
    events: int
    events_done: int
    report: dict

    def as_document(self) -> dict:
        """The binding's CaptureJob document, with Provenance's counts and notes beside the standard fields."""
        answer = {"captureID": self.capture_id, "createdAt": _iso(self.created_at), "running": self.running,
                  "success": self.success, "captureErrorBehaviour": self.behaviour,
                  "errors": self.report.get("errors", [])}
        if self.finished_at is not None:
            answer["finishedAt"] = _iso(self.finished_at)
        if self.running:
            answer["progress"] = {"eventCount": self.events, "eventsDone": self.events_done}
        else:
            answer.update({k: v for k, v in self.report.items() if k != "errors"})
        return answer


def find_job(tenant: Manufacturer, capture_id: str) -> JobView:
    """The tenant's job; another tenant's answers NotFound exactly like one that does not exist."""
    job = db.session.scalar(select(CaptureJob).where(CaptureJob.capture_id == capture_id[:40],
                                                     CaptureJob.manufacturer_id == tenant.id))
    if job is None:
        raise NotFound("There is no capture job with this id.")
    return _view(job)


def recent_jobs(tenant: Manufacturer, *, limit: int, before: int | None) -> tuple[list[JobView], int | None]:
    stmt = select(CaptureJob).where(CaptureJob.manufacturer_id == tenant.id)
    if before is not None:
        stmt = stmt.where(CaptureJob.id < before)
    rows = list(db.session.scalars(stmt.order_by(CaptureJob.id.desc()).limit(limit + 1)))
    more = rows[limit].id + 1 if len(rows) > limit else None
    return [_view(job) for job in rows[:limit]], (rows[limit - 1].id if more else None)


def _view(job: CaptureJob) -> JobView:
    running = job.state is JobState.RUNNING
    return JobView(capture_id=job.capture_id, running=running,
                   success=job.state is not JobState.FAILURE, behaviour=job.behaviour, created_at=job.created_at,
                   finished_at=job.finished_at, events=job.events, events_done=job.events_done,
                   report=json.loads(job.report) if job.report and not running else {})


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
