"""Capturing an EPCIS document for a tenant: its events become unit events, set-based.

The whole document is decided before anything is written. One query finds the eventIDs captured before,
one the tenant's product models, one (per few thousand identifiers) every unit the document names; the
events are then played in document order against that picture in memory, so an event may name units an
earlier event of the same document commissioned. What was accepted lands in a handful of executemany
statements: new units, their parents, their statuses, the unit events, the captured eventIDs.

An event naming units the tenant does not have (another tenant's count as unknown) is rejected with the
reason and the rest still lands, unless the capture is atomic: then one failing event refuses them all.
An event with an errorDeclaration lands nothing of its own: once the rest has landed, the event it
declares erroneous is marked and its effects recomputed away (corrections.py). What each event type means
for a unit is the table in docs/epcis.md.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ARRAY, Text, cast, func, select
from sqlalchemy.orm import aliased

from portal.catalog.epcis.document import MAX_EVENTS, Event, collector_paused, events_of
from portal.catalog.epcis.models import CapturedEvent
from portal.catalog.epcis.report import CaptureRefused, CaptureReport
from portal.catalog.epcis.vocabulary import Sgtin, epc_label
from portal.catalog.models import BizStep, Disposition, Manufacturer, ProductModel, Unit, UnitEvent
from portal.core import audit
from portal.core.signals import events_landed, units_landed
from portal.extensions import db

#: Identifiers per lookup query: two bound parameters each, well inside every database's limit.
LOOKUP_BATCH = 2000
#: Events decided and written together: what a capture holds in memory at once.
CHUNK = 2000
#: CBV steps the portal's own vocabulary has no word for, mapped to the nearest one.
STEP_ALIASES = {"assembling": BizStep.INSTALLING, "disassembling": BizStep.REMOVING}
BIZ_STEPS = {s.value: s for s in BizStep} | STEP_ALIASES
DISPOSITIONS = {d.value: d for d in Disposition}
MAX_NAMED = 20
#: How the events that carry a parentID read in a unit's history, per action.
WORDS = {"AggregationEvent": {"ADD": "Built into", "DELETE": "Taken out of", "OBSERVE": "Seen in"},
         "AssociationEvent": {"ADD": "Associated with", "DELETE": "No longer associated with", "OBSERVE": "Seen with"}}


@dataclass
class _UnitState:
    """A unit as the document's events so far leave it; `id` is None for one this document commissions."""

    id: int | None
    model_id: int
    status: Disposition
    #: The parent: a key (gtin, serial), ("id", n) for a unit the document does not name, or None.
    parent: tuple | None = None
    new: bool = False
    #: The parent changed in this document (built in, or taken out).
    moved: bool = False
    #: When its latest event happened: an event older than that is history, and leaves the status alone.
    latest: datetime | None = None
    #: The status stored before this document: only a changed one is written back.
    stored: Disposition | None = None


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
        from portal.catalog.epcis.landing import land  # landing imports this module: the two need each other

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


class _Play:
    """One chunk, decided in memory against the units it names as the database has them."""

    def __init__(self, capture: Capture, events: list[Event]) -> None:
        self.capture, self.tenant, self.events = capture, capture.tenant, events
        self.actor_label, self.actor_id, self.models = capture.actor_label, capture.actor_id, capture.models
        self.parent_of_id: dict[int, int | None] = {}
        self.units = self._load_units(events)
        self.unit_events: list[dict] = []
        self.accepted: list[Event] = []
        self.declarations: list[Event] = []
        #: Declarations of events never captured here: stored declared, without effect.
        self.orphans: list[Event] = []
        self.counts: dict[int, int] = {}

    # --- reading the database once ------------------------------------------------------------------

    def _load_units(self, events: list[Event]) -> dict[tuple, _UnitState]:
        keys = sorted({epc.key for e in events if e.error is None
                       for epc in (*e.epcs, *e.outputs, *([e.parent] if isinstance(e.parent, Sgtin) else []))})
        found: dict[tuple, _UnitState] = {}
        latest = select(func.max(UnitEvent.occurred_at)).where(
            UnitEvent.unit_id == Unit.id, UnitEvent.retracted_at.is_(None)).scalar_subquery()
        for model_id, gtin, serials in units_by_model(self.models, keys):
            # One model at a time: (model_id, serial) is the units' unique index, so each batch is index lookups.
            for start in range(0, len(serials), LOOKUP_BATCH):
                rows = db.session.execute(
                    select(Unit.serial, Unit.id, Unit.status, Unit.parent_id, latest)
                    .where(Unit.manufacturer_id == self.tenant.id, Unit.model_id == model_id,
                           Unit.serial.in_(serials[start:start + LOOKUP_BATCH])))
                for serial, unit_id, status, parent_id, last in rows:
                    found[(gtin, serial)] = _UnitState(unit_id, model_id, status,
                                                       ("id", parent_id) if parent_id else None,
                                                       latest=_aware(last), stored=status)
        self.key_of_id = {state.id: key for key, state in found.items()}
        self._load_chains({s.parent[1] for s in found.values() if s.parent is not None} - set(self.key_of_id))
        return found

    def _load_chains(self, start_ids: set[int]) -> None:
        """The parent chains of units outside the document, read in one recursive query."""
        if not start_ids:
            return
        ids = sorted(start_ids)
        for start in range(0, len(ids), LOOKUP_BATCH):
            seed = select(Unit.id, Unit.parent_id).where(Unit.id.in_(ids[start:start + LOOKUP_BATCH]),
                                                         Unit.manufacturer_id == self.tenant.id)
            chain = seed.cte("chain", recursive=True)
            above = aliased(Unit)
            chain = chain.union(select(above.id, above.parent_id).join(chain, above.id == chain.c.parent_id)
                                .where(above.manufacturer_id == self.tenant.id))
            self.parent_of_id.update(db.session.execute(select(chain.c.id, chain.c.parent_id)).tuples())

    def _known_event_ids(self) -> dict[str, bool]:
        """eventID -> whether it was declared erroneous, for the document's eventIDs captured before."""
        ids = sorted({e.event_id for e in self.events if e.error is None})
        known: dict[str, bool] = {}
        postgresql = db.session.connection().dialect.name == "postgresql"
        for start in range(0, len(ids), LOOKUP_BATCH):
            batch = ids[start:start + LOOKUP_BATCH]
            if postgresql:
                # Joined to the list rather than `IN (...)`: while a capture fills the table in its own
                # transaction the planner still believes it empty, and chose the tenant's event_time index
                # with the list as a filter, reading every event of the tenant per chunk (quadratic).
                given = func.unnest(cast(batch, ARRAY(Text))).table_valued("id").render_derived(name="given")
                stmt = select(CapturedEvent.event_id, CapturedEvent.declared_at).join(
                    given, CapturedEvent.event_id == given.c.id).where(CapturedEvent.manufacturer_id == self.tenant.id)
            else:
                stmt = select(CapturedEvent.event_id, CapturedEvent.declared_at).where(
                    CapturedEvent.manufacturer_id == self.tenant.id, CapturedEvent.event_id.in_(batch))
            known.update((event_id, declared is not None) for event_id, declared in db.session.execute(stmt))
        return known

    # --- playing the events in memory ---------------------------------------------------------------

    def run(self) -> None:
        report = self.capture.report
        seen = self._known_event_ids()
        created = sum(1 for u in self.units.values() if u.new)
        for event in self.events:
            result = {"index": event.index, "event_id": event.event_id or _given_id(event), "type": event.type or None,
                      "detail": None, "notes": event.notes}
            if event.error is None and event.declaration is not None:
                self._declare(event, seen, result, report)
            elif event.error is None and event.event_id in seen:
                result["result"] = "duplicate"
            else:
                error = event.error or self._apply(event)
                if error:
                    result["result"], result["detail"] = "rejected", error
                    result["epcs"] = event.named[:MAX_NAMED]
                else:
                    result["result"] = "accepted"
                    seen[event.event_id] = False
                    self.accepted.append(event)
            report.record(result)
        report.units_created += sum(1 for u in self.units.values() if u.new) - created
        report.unit_events += len(self.unit_events)

    def _declare(self, event: Event, seen: dict[str, bool], result: dict, report: CaptureReport) -> None:
        """An errorDeclaration of an event captured before (or earlier in this document) marks it; one of an
        event never captured here is kept as sent, declared erroneous from the start, and changes no unit."""
        if event.event_id not in seen:
            result["result"] = "accepted"
            result["notes"] = [*event.notes, ("no event with this eventID was captured before: it is kept as "
                                              "declared erroneous and changes no unit")]
            seen[event.event_id] = True
            self.orphans.append(event)
            report.declared += 1
        elif seen[event.event_id]:
            result["result"] = "duplicate"
        else:
            result["result"] = "accepted"
            seen[event.event_id] = True
            self.declarations.append(event)
            report.declared += 1

    def _apply(self, event: Event) -> str | None:
        """Check the event against the units as they stand; if it may happen, play it. The reason if not."""
        if event.type == "ObjectEvent":
            commissioning = event.action == "ADD" and event.biz_step == "commissioning"
            error = self._missing(event.epcs, create=commissioning)
            if error:
                return error
            self._create(event.epcs if commissioning else [], event)
            self._record(event, event.epcs, "")
        elif event.type == "TransformationEvent":
            error = self._missing(event.epcs, create=False) or self._missing(event.outputs, create=True)
            if error:
                return error
            self._create(event.outputs, event)
            self._record(event, [*event.epcs, *event.outputs], "")
        elif event.type == "AssociationEvent" and not isinstance(event.parent, Sgtin):
            error = self._missing(event.epcs, create=False)
            if error:
                return error
            words = {"ADD": "Associated with", "DELETE": "No longer associated with", "OBSERVE": "Seen with"}
            self._record(event, event.epcs, f"{words[event.action]} {event.parent_text[:200]}".strip())
        elif event.type == "TransactionEvent":
            error = self._missing(event.epcs, create=False)
            if error:
                return error
            self._record(event, event.epcs, _transactions(event))
        else:
            return self._aggregate(event)
        return None

    def _missing(self, epcs: list[Sgtin], *, create: bool) -> str | None:
        if create:
            foreign = [e for e in epcs if e.key not in self.units and e.gtin not in self.models]
            if foreign:
                gtins = sorted({e.gtin for e in foreign})
                return (f"GTIN {', '.join(gtins[:5])} is not one of your product models, so "
                        f"{_names(foreign)} cannot be commissioned")
            return None
        unknown = [e for e in epcs if e.key not in self.units]
        return f"not among your units: {_names(unknown)}" if unknown else None

    def _create(self, epcs: list[Sgtin], event: Event) -> None:
        status = DISPOSITIONS.get(event.disposition, Disposition.ACTIVE)
        for epc in epcs:
            if epc.key not in self.units:
                self.units[epc.key] = _UnitState(None, self.models[epc.gtin], status, new=True, latest=event.time)

    def _aggregate(self, event: Event) -> str | None:
        """AggregationEvent, or AssociationEvent with a unit parent: the events that set parent links.

        EPCIS 2.0 gives both a parentID and childEPCs; with a unit (SGTIN) as parent, ADD builds the
        children into it, DELETE takes the named children out, or all of its children when it names none,
        and OBSERVE only records. A logistic unit (SSCC) as parent is packing, not assembly: history only.
        """
        unknown = self._missing(event.epcs, create=False)
        if unknown:
            return unknown
        words = WORDS[event.type]
        if not isinstance(event.parent, Sgtin):
            packing = {"ADD": "Packed into", "DELETE": "Unpacked from", "OBSERVE": "Seen in"}[event.action]
            note = f"{packing} {epc_label(event.parent)}" if event.parent else ""
            self._record(event, event.epcs, note, default=BizStep.PACKING if event.action == "ADD" else None)
            return None
        parent = event.parent
        if parent.key not in self.units:
            return f"the parent is not among your units: {epc_label(parent)}"
        note = f"{words[event.action]} {epc_label(parent)}"
        if event.action == "ADD":
            ancestors = self._ancestors(parent.key)
            inside_itself = [c for c in event.epcs if c.key == parent.key or c.key in ancestors]
            if inside_itself:
                return f"would put a unit inside itself: {_names(inside_itself)}"
            elsewhere = [c for c in event.epcs if self.units[c.key].parent is not None
                         and not self._same_unit(self.units[c.key].parent, parent.key)]
            if elsewhere:
                return f"already built into another unit: {_names(elsewhere)}"
            for child in event.epcs:
                state = self.units[child.key]
                state.parent, state.moved = parent.key, True
            self._record(event, event.epcs, note, default=BizStep.INSTALLING)
        elif event.action == "DELETE":
            children = event.epcs or self._children(parent.key)
            for child in children:
                state = self.units[child.key]
                if state.parent is not None and self._same_unit(state.parent, parent.key):
                    state.parent, state.moved = None, True
            self._record(event, children, note, default=BizStep.REMOVING)
        else:
            self._record(event, event.epcs, note)
        return None

    def _children(self, key: tuple) -> list[Sgtin]:
        """The units built into `key` as the document has left them so far (a DELETE that names no child)."""
        parent = self.units[key]
        if parent.id is not None:
            rows = db.session.execute(
                select(ProductModel.gtin, Unit.serial, Unit.id, Unit.model_id, Unit.status)
                .join(ProductModel, ProductModel.id == Unit.model_id)
                .where(Unit.manufacturer_id == self.tenant.id, Unit.parent_id == parent.id))
            for gtin, serial, unit_id, model_id, status in rows:
                if (gtin, serial) not in self.units:
                    self.units[(gtin, serial)] = _UnitState(unit_id, model_id, status, ("id", parent.id),
                                                            stored=status)
                    self.key_of_id[unit_id] = (gtin, serial)
        return [Sgtin(*k) for k, s in self.units.items() if s.parent is not None and self._same_unit(s.parent, key)]

    def _same_unit(self, ref, key: tuple) -> bool:
        """Whether a parent reference (a key, or ("id", n) for a unit outside the document) is unit `key`."""
        if ref == key:
            return True
        state = self.units.get(key)
        return bool(ref and ref[0] == "id" and state is not None and state.id == ref[1])

    def _ancestors(self, key: tuple) -> set:
        """The units `key` is built into, at any depth: keys of the document's units and ids of others."""
        found: set = set()
        ref = self.units[key].parent
        while ref is not None and ref not in found and len(found) < 1000:
            found.add(ref)
            if ref[0] == "id":
                known = self.key_of_id.get(ref[1])
                if known:
                    found.add(known)
                    ref = self.units[known].parent
                else:
                    parent_id = self._parent_id(ref[1])
                    ref = ("id", parent_id) if parent_id else None
            else:
                ref = self.units[ref].parent
        return found

    def _parent_id(self, unit_id: int) -> int | None:
        if unit_id not in self.parent_of_id:  # a chain outside the document: a few rows, read once each
            self.parent_of_id[unit_id] = db.session.scalar(select(Unit.parent_id).where(
                Unit.id == unit_id, Unit.manufacturer_id == self.tenant.id))
        return self.parent_of_id[unit_id]

    def _record(self, event: Event, epcs: list[Sgtin], note: str, *, default: BizStep | None = None) -> None:
        step = BIZ_STEPS.get(event.biz_step) or default or BizStep.OTHER
        disposition = DISPOSITIONS.get(event.disposition)
        words = [f"EPCIS {event.type} {event.event_id}"]
        if note:
            words.append(note)
        if event.biz_step and event.biz_step not in BIZ_STEPS:
            words.append(f"bizStep {event.biz_step}")
        if event.disposition and disposition is None:
            words.append(f"disposition {event.disposition}")
        text = "; ".join(words)[:500]
        for epc in epcs:
            state = self.units[epc.key]
            current = state.latest is None or event.time >= state.latest
            if current:
                state.latest = event.time
                if disposition is not None:
                    state.status = disposition
            self.unit_events.append({"key": epc.key, "index": event.index, "biz_step": step.value,
                                     "disposition": (disposition or state.status).value,
                                     "occurred_at": event.time, "place": event.place, "note": text})
        self.counts[event.index] = self.counts.get(event.index, 0) + len(epcs)


def units_by_model(models: dict[str, int], keys) -> list[tuple[int, str, list[str]]]:
    """(model id, GTIN, serials) for the (GTIN, serial) keys of the tenant's own models; others are no unit."""
    serials: dict[str, list[str]] = {}
    for gtin, serial in keys:
        if gtin in models:
            serials.setdefault(gtin, []).append(serial)
    return [(models[gtin], gtin, names) for gtin, names in serials.items()]


def _aware(moment: datetime | None) -> datetime | None:
    """A timestamp read through a bare column expression comes back naive on SQLite; it is UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _names(epcs: list[Sgtin]) -> str:
    shown = ", ".join(epc_label(e) for e in epcs[:10])
    return shown + (f" and {len(epcs) - 10} more" if len(epcs) > 10 else "")


def _given_id(event: Event) -> str | None:
    """The eventID an unreadable event carried, so its error names it (never null when it had one)."""
    given = event.body.get("eventID") if event.body else None
    return given if isinstance(given, str) else None


def _transactions(event: Event) -> str:
    """How a TransactionEvent reads in history: its business transactions (type and id), in short."""
    found = []
    for item in event.body.get("bizTransactionList") or []:
        if isinstance(item, dict) and isinstance(item.get("bizTransaction"), str):
            kind = str(item.get("type") or "").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removeprefix("BTT-")
            found.append(f"{kind} {item['bizTransaction']}".strip()[:120])
    words = {"ADD": "Joined transaction", "DELETE": "Left transaction", "OBSERVE": "Transaction"}[event.action]
    return f"{words} {', '.join(found[:3])}" if found else words
