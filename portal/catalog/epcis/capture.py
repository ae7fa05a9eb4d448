"""Capturing an EPCIS document for a tenant: its events become unit events, set-based, a chunk at a time.

Each chunk of CHUNK events is decided before anything of it is written (play.py): one query finds the
eventIDs captured before, one the tenant's product models (once per capture), one per few thousand
identifiers every unit the chunk names (reading.py); the events are then played in document order against
that picture in memory. What was accepted lands in a handful of executemany statements (landing.py): new
units, their parents, their statuses, the unit events, the captured eventIDs.

An event naming units the tenant does not have is rejected with the reason and the rest still lands,
unless the capture is atomic: then one failing event refuses them all. What each event type means for a
unit is the table in docs/epcis.md.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import nullcontext

from sqlalchemy import select

from portal.catalog.epcis.document import MAX_EVENTS, Event, collector_paused, events_of
from portal.catalog.epcis.landing import land
from portal.catalog.epcis.play import _Play
from portal.catalog.epcis.report import CaptureRefused, CaptureReport
from portal.catalog.models import Manufacturer, ProductModel
from portal.core import audit
from portal.core.signals import events_landed, units_landed
from portal.extensions import db

#: _Play is named here for the tests that stand in for its reads.
__all__ = ["CHUNK", "Capture", "CaptureRefused", "_Play", "capture_document", "capture_events", "chunked"]

#: Events decided and written together: what a capture holds in memory at once.
CHUNK = 2000


def capture_document(tenant: Manufacturer, document, *, atomic: bool = False, actor,
                     limit: int | None = MAX_EVENTS, keep_results: bool = True) -> CaptureReport:
    """Record an EPCIS document's events as unit events of `tenant`'s units; the report says what happened.

    Commissioning (ObjectEvent, ADD, bizStep commissioning) creates the units of the tenant's product models
    it names; a TransformationEvent creates its outputs likewise. An AggregationEvent or AssociationEvent
    whose parent is a unit (an SGTIN) builds the children into it (ADD) or takes them out (DELETE); one
    whose parent is an SSCC, an asset or a place changes no parent. Flushes; the caller commits.
    """
    return capture_events(tenant, events_of(document, limit=limit), atomic=atomic, actor=actor,
                          keep_results=keep_results)


def capture_events(tenant: Manufacturer, events: Iterable[Event], *, atomic: bool, actor,
                   job_id: int | None = None, keep_results: bool = False) -> CaptureReport:
    """Capture events already read, CHUNK at a time. Atomic: when any fails, CaptureRefused and nothing stays."""
    capture = Capture(tenant, actor=actor, job_id=job_id, keep_results=keep_results)
    with db.session.begin_nested() if atomic else nullcontext():
        for chunk in chunked(events, CHUNK):
            capture.feed(chunk)
        if atomic and capture.report.rejected:
            raise CaptureRefused(capture.report)  # leaving the savepoint rolls every chunk back
        capture.finish()
    return capture.report


def chunked(events: Iterable[Event], size: int) -> Iterator[list[Event]]:
    batch: list[Event] = []
    for event in events:
        batch.append(event)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Capture:
    """One document's capture for a tenant, fed its events a chunk at a time, in document order.

    Each chunk is decided against the database as the earlier chunks left it (they were written in the
    same transaction), then written: so memory holds one chunk, whatever the document's size, and an event
    may still name units an earlier event commissioned. Flushes; the caller commits (or rolls back an
    atomic capture that failed, which undoes every chunk).
    """

    def __init__(self, tenant: Manufacturer, *, actor, job_id: int | None = None,
                 report: CaptureReport | None = None, keep_results: bool = False) -> None:
        self.tenant, self.job_id = tenant, job_id
        self.actor_label = (getattr(actor, "email", None) or (actor if isinstance(actor, str) else ""))[:120]
        self.actor_id = getattr(actor, "id", None)
        self.models = dict(db.session.execute(select(ProductModel.gtin, ProductModel.id)
                                              .where(ProductModel.manufacturer_id == tenant.id)).all())
        self.report = report or CaptureReport(results=[] if keep_results else None)
        self.reshaped = False

    def feed(self, events: list[Event]) -> None:
        with collector_paused():
            play = _Play(self, events)
            play.run()
            if land(play, job_id=self.job_id):
                self.reshaped = True
            sensed = {e.index: e.body for e in play.accepted if e.body.get("sensorElementList")}
            if sensed:  # sensor reports update the units' passports in this transaction (core/signals.py)
                units: dict[int, list[int]] = {}
                for row in play.unit_events:
                    units.setdefault(row["index"], []).append(play.units[row["key"]].id)
                events_landed.send(self.tenant.id, events=[(units.get(i, []), body) for i, body in sensed.items()])

    def finish(self) -> None:
        """Once every chunk landed: active recalls re-check, and the audit trail records the capture."""
        report = self.report
        if self.reshaped:  # new units, or parts in new assemblies
            units_landed.send(self.tenant.id, unit_ids=None)
        if report.accepted:
            audit.log(self.actor_label or "epcis", "epcis.captured", self.tenant, manufacturer_id=self.tenant.id,
                      events=report.events, accepted=report.accepted, duplicates=report.duplicates,
                      rejected=report.rejected, units_created=report.units_created, declared=report.declared)
