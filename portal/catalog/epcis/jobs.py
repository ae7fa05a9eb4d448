"""Capture jobs of the EPCIS REST binding: a capture is a job with an address, reporting running,
success or failure with per-event errors.

The capture of a document runs within the request that sent it (a document holds at most
GS1-EPCIS-Capture-Limit events), so the job is usually finished when the client first asks; the
protocol (202, Location, GET the job) is the binding's all the same. The job row is committed before the
capture starts, so a capture that fails or is rolled back still leaves its job and report behind.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from portal.catalog.epcis.capture import CaptureRefused, CaptureReport, capture_events
from portal.catalog.epcis.document import Event
from portal.catalog.epcis.models import CaptureJob, JobState
from portal.catalog.models import Manufacturer
from portal.core.db import utcnow
from portal.core.errors import DomainError, Invalid, NotFound
from portal.extensions import db

BEHAVIOURS = ("rollback", "proceed")
ERROR_TYPE = "epcisException:ValidationException"


def start_job(tenant: Manufacturer, *, behaviour: str, events: int, actor: str) -> CaptureJob:
    if behaviour not in BEHAVIOURS:
        raise Invalid(f"GS1-Capture-Error-Behaviour is rollback (the default) or proceed, not {behaviour[:20]!r}.",
                      field="GS1-Capture-Error-Behaviour")
    job = CaptureJob(capture_id="c" + secrets.token_hex(12), manufacturer_id=tenant.id, behaviour=behaviour,
                     events=events, actor_label=actor[:120], state=JobState.RUNNING, created_at=utcnow())
    db.session.add(job)
    db.session.flush()
    return job


def run_job(job: CaptureJob, tenant: Manufacturer, events: list[Event]) -> CaptureReport:
    """Capture the events under `job` and record the outcome on it. Flushes; the caller commits.

    rollback: one failing event refuses them all (success false, nothing captured). proceed: the good
    events land and the bad ones are reported (success false when any failed).
    """
    rollback = job.behaviour == "rollback"
    try:
        with db.session.begin_nested():
            report = capture_events(tenant, events, atomic=rollback, actor=job.actor_label, job_id=job.id)
    except CaptureRefused as refused:
        report = refused.report
        _finish(job, report, captured=False)
        return report
    except DomainError as err:  # e.g. a racing capture of the same events: nothing of this one landed
        report = CaptureReport(events=len(events))
        _finish(job, report, captured=False, failure=str(err))
        return report
    _finish(job, report, captured=True)
    return report


def _finish(job: CaptureJob, report: CaptureReport, *, captured: bool, failure: str | None = None) -> None:
    errors = [{"type": ERROR_TYPE, "title": "Event not captured", "status": 400,
               "detail": e["detail"], "eventIndex": e["index"], "eventID": e["event_id"], "eventType": e["type"]}
              for e in report.errors]
    if failure:
        errors.append({"type": "epcisException:ImplementationException", "title": "Capture not completed",
                       "status": 409, "detail": failure})
    if not captured and job.behaviour == "rollback" and report.errors:
        errors.append({"type": ERROR_TYPE, "title": "Nothing captured", "status": 400,
                       "detail": f"{len(report.errors)} of {report.events} events failed, so none was captured "
                                 "(GS1-Capture-Error-Behaviour: rollback). Fix them and send the document again, "
                                 "or send it with GS1-Capture-Error-Behaviour: proceed to keep the good ones."})
    summary = {"eventCount": report.events, "captured": report.accepted if captured else 0,
               "duplicates": report.duplicates if captured else 0, "rejected": len(report.errors),
               "declaredErroneous": report.declared if captured else 0,
               "unitsCreated": report.units_created if captured else 0, "errors": errors,
               "notes": [{"eventIndex": n["index"], "eventID": n["event_id"], "detail": n["detail"]}
                         for n in report.notes]}
    job.report = json.dumps(summary, ensure_ascii=False)
    job.state = JobState.SUCCESS if not errors else JobState.FAILURE
    job.finished_at = utcnow()


@dataclass(frozen=True)
class JobView:
    capture_id: str
    running: bool
    success: bool
    behaviour: str
    created_at: datetime
    finished_at: datetime | None
    report: dict

    def as_document(self) -> dict:
        """The binding's CaptureJob document, with Provenance's counts and notes beside the standard fields."""
        answer = {"captureID": self.capture_id, "createdAt": _iso(self.created_at), "running": self.running,
                  "success": self.success, "captureErrorBehaviour": self.behaviour,
                  "errors": self.report.get("errors", [])}
        if self.finished_at is not None:
            answer["finishedAt"] = _iso(self.finished_at)
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
    return JobView(capture_id=job.capture_id, running=job.state is JobState.RUNNING,
                   success=job.state is not JobState.FAILURE, behaviour=job.behaviour, created_at=job.created_at,
                   finished_at=job.finished_at, report=json.loads(job.report) if job.report else {})


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
