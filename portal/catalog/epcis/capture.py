"""Capturing an EPCIS document for a tenant: its events become unit events, set-based.

The whole document is decided before anything is written. One query finds the eventIDs captured before,
one the tenant's product models, one (per few thousand identifiers) every unit the document names; the
events are then played in document order against that picture in memory, so an event may name units an
earlier event of the same document commissioned. What was accepted lands in a handful of executemany
statements: new units, their parents, their statuses, the unit events, the captured eventIDs.

An event naming units the tenant does not have (another tenant's count as unknown) is rejected with the
reason and the rest still lands, unless the capture is atomic: then one failing event refuses them all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import bindparam, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from portal.catalog.epcis.document import Event, events_of
from portal.catalog.epcis.models import CapturedEvent
from portal.catalog.epcis.vocabulary import Sgtin, epc_label
from portal.catalog.models import BizStep, Disposition, Manufacturer, ProductModel, Unit, UnitEvent
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid
from portal.core.signals import units_landed
from portal.extensions import db

#: Identifiers per lookup query: two bound parameters each, well inside every database's limit.
LOOKUP_BATCH = 2000
#: CBV steps the portal's own vocabulary has no word for, mapped to the nearest one.
STEP_ALIASES = {"assembling": BizStep.INSTALLING, "disassembling": BizStep.REMOVING}
BIZ_STEPS = {s.value: s for s in BizStep} | STEP_ALIASES
DISPOSITIONS = {d.value: d for d in Disposition}
MAX_NAMED = 20


class CaptureRefused(Invalid):
    """An atomic capture in which some event failed: nothing was captured."""

    type = "https://provenance.example/problems/epcis-capture-refused"

    def __init__(self, report: CaptureReport):
        failed = report.errors
        super().__init__(f"{len(failed)} of {report.events} events cannot be captured, so none was "
                         "(atomic capture). Fix them, or capture without atomic to keep the others.")
        self.report = report
        self.errors = [{"location": "json", "field": f"epcisBody.eventList.{e['index']}",
                        "detail": f"{e['event_id'] or 'event without eventID'}: {e['detail']}"} for e in failed]


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


@dataclass
class CaptureReport:
    events: int = 0
    accepted: int = 0
    duplicates: int = 0
    units_created: int = 0
    unit_events: int = 0
    #: Per event: index, event_id, type, result (accepted / duplicate / rejected), units, detail, epcs.
    results: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> list[dict]:
        return [r for r in self.results if r["result"] == "rejected"]

    def as_dict(self) -> dict:
        return {"events": self.events, "accepted": self.accepted, "duplicates": self.duplicates,
                "rejected": len(self.errors), "units_created": self.units_created, "unit_events": self.unit_events,
                "errors": [{k: e[k] for k in ("index", "event_id", "type", "detail", "epcs")} for e in self.errors],
                "results": [{k: r[k] for k in ("index", "event_id", "result")} for r in self.results]}


def capture_document(tenant: Manufacturer, document, *, atomic: bool = False, actor) -> CaptureReport:
    """Record an EPCIS document's events as unit events of `tenant`'s units; the report says what happened.

    Commissioning (ObjectEvent, ADD, bizStep commissioning) creates the units of the tenant's product models
    it names; a TransformationEvent creates its outputs likewise. An AggregationEvent whose parent is a unit
    (an SGTIN) builds the children into it (ADD) or takes them out (DELETE); one whose parent is an SSCC is
    packing and changes no parent. Flushes; the caller commits.
    """
    events = events_of(document)
    play = _Play(tenant, events, actor)
    report = play.run()
    if atomic and report.errors:
        raise CaptureRefused(report)
    play.land(report)
    return report


class _Play:
    def __init__(self, tenant: Manufacturer, events: list[Event], actor) -> None:
        self.tenant, self.events = tenant, events
        self.actor_label = (getattr(actor, "email", None) or (actor if isinstance(actor, str) else ""))[:120]
        self.actor_id = getattr(actor, "id", None)
        self.models = dict(db.session.execute(select(ProductModel.gtin, ProductModel.id)
                                              .where(ProductModel.manufacturer_id == tenant.id)).all())
        self.units = self._load_units(events)
        self.parent_of_id: dict[int, int | None] = {}
        self.unit_events: list[dict] = []
        self.accepted: list[Event] = []
        self.counts: dict[int, int] = {}

    # --- reading the database once ------------------------------------------------------------------

    def _load_units(self, events: list[Event]) -> dict[tuple, _UnitState]:
        keys = sorted({epc.key for e in events if e.error is None
                       for epc in (*e.epcs, *e.outputs, *([e.parent] if isinstance(e.parent, Sgtin) else []))})
        found: dict[tuple, _UnitState] = {}
        latest = select(func.max(UnitEvent.occurred_at)).where(UnitEvent.unit_id == Unit.id).scalar_subquery()
        for start in range(0, len(keys), LOOKUP_BATCH):
            batch = keys[start:start + LOOKUP_BATCH]
            rows = db.session.execute(
                select(ProductModel.gtin, Unit.serial, Unit.id, Unit.model_id, Unit.status, Unit.parent_id, latest)
                .join(ProductModel, ProductModel.id == Unit.model_id)
                .where(Unit.manufacturer_id == self.tenant.id, tuple_(ProductModel.gtin, Unit.serial).in_(batch)))
            for gtin, serial, unit_id, model_id, status, parent_id, last in rows:
                found[(gtin, serial)] = _UnitState(unit_id, model_id, status,
                                                   ("id", parent_id) if parent_id else None, latest=_aware(last),
                                                   stored=status)
        self.key_of_id = {state.id: key for key, state in found.items()}
        return found

    def _known_event_ids(self) -> set[str]:
        ids = sorted({e.event_id for e in self.events if e.error is None})
        known: set[str] = set()
        for start in range(0, len(ids), LOOKUP_BATCH):
            known.update(db.session.scalars(select(CapturedEvent.event_id).where(
                CapturedEvent.manufacturer_id == self.tenant.id,
                CapturedEvent.event_id.in_(ids[start:start + LOOKUP_BATCH]))))
        return known

    # --- playing the events in memory ---------------------------------------------------------------

    def run(self) -> CaptureReport:
        report = CaptureReport(events=len(self.events))
        seen = self._known_event_ids()
        for event in self.events:
            result = {"index": event.index, "event_id": event.event_id or None, "type": event.type or None,
                      "units": 0, "detail": None, "epcs": event.named[:MAX_NAMED]}
            if event.error is None and event.event_id in seen:
                result["result"] = "duplicate"
                report.duplicates += 1
            else:
                error = event.error or self._apply(event)
                if error:
                    result["result"], result["detail"] = "rejected", error
                else:
                    result["result"], result["units"] = "accepted", self.counts.get(event.index, 0)
                    seen.add(event.event_id)
                    self.accepted.append(event)
                    report.accepted += 1
            report.results.append(result)
        report.units_created = sum(1 for u in self.units.values() if u.new)
        report.unit_events = len(self.unit_events)
        return report

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
        unknown = self._missing(event.epcs, create=False)
        if unknown:
            return unknown
        if not isinstance(event.parent, Sgtin):
            words = {"ADD": "Packed into", "DELETE": "Unpacked from", "OBSERVE": "Seen in"}[event.action]
            note = f"{words} {epc_label(event.parent)}" if event.parent else ""
            self._record(event, event.epcs, note, default=BizStep.PACKING if event.action == "ADD" else None)
            return None
        parent = event.parent
        if parent.key not in self.units:
            return f"the parent is not among your units: {epc_label(parent)}"
        label = epc_label(parent)
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
            self._record(event, event.epcs, f"Built into {label}", default=BizStep.INSTALLING)
        elif event.action == "DELETE":
            for child in event.epcs:
                state = self.units[child.key]
                if state.parent is not None and self._same_unit(state.parent, parent.key):
                    state.parent, state.moved = None, True
            self._record(event, event.epcs, f"Taken out of {label}", default=BizStep.REMOVING)
        else:
            self._record(event, event.epcs, f"Seen in {label}")
        return None

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
            self.unit_events.append({"key": epc.key, "biz_step": step.value,
                                     "disposition": (disposition or state.status).value,
                                     "occurred_at": event.time, "place": event.place, "note": text})
        self.counts[event.index] = self.counts.get(event.index, 0) + len(epcs)

    # --- writing what was accepted --------------------------------------------------------------------

    def land(self, report: CaptureReport) -> None:
        """Write what was accepted. A capture racing this one for the same events or new units makes the
        database refuse one of them (unique eventIDs, unique serials); that one changes nothing and says so."""
        if not self.accepted:
            return
        try:
            with db.session.begin_nested():
                fresh, moved = self._write()
        except IntegrityError:
            raise Conflict("Another capture changed some of these events or units at the same moment; send the "
                           "document again (events captured since are then reported as duplicates).") from None
        db.session.expire_all()
        if fresh or moved:  # active recalls re-check: new units, or parts in new assemblies
            units_landed.send(self.tenant.id, unit_ids=None)
        audit.log(self.actor_label or "epcis", "epcis.captured", self.tenant, manufacturer_id=self.tenant.id,
                  events=report.events, accepted=report.accepted, duplicates=report.duplicates,
                  rejected=len(report.errors), units_created=report.units_created)

    def _write(self) -> tuple[int, int]:
        """The captured eventIDs, new units, parents, statuses and unit events: one executemany each."""
        session, now, units = db.session, utcnow(), Unit.__table__
        session.execute(insert(CapturedEvent), [
            {"manufacturer_id": self.tenant.id, "event_id": e.event_id, "event_type": e.type, "action": e.action,
             "biz_step": e.biz_step[:255], "event_time": e.time, "captured_at": now,
             "units": self.counts.get(e.index, 0)} for e in self.accepted])
        fresh = [(key, s) for key, s in self.units.items() if s.new]
        if fresh:
            session.execute(insert(Unit), [
                {"manufacturer_id": self.tenant.id, "model_id": s.model_id, "serial": key[1], "status": s.status,
                 "created_at": now} for key, s in fresh])
            self._read_new_ids([key for key, _ in fresh])
        ids = {key: s.id for key, s in self.units.items()}
        moved = [{"uid": s.id, "pid": None if s.parent is None else ids[s.parent]}
                 for s in self.units.values() if s.moved]
        if moved:
            session.execute(update(units).where(units.c.id == bindparam("uid")).values(parent_id=bindparam("pid")),
                            moved)
        # New units were inserted with their final status; of the others, only those whose status changed.
        changed = [{"uid": s.id, "st": s.status.value} for s in self.units.values()
                   if not s.new and s.status is not s.stored]
        if changed:
            session.execute(update(units).where(units.c.id == bindparam("uid")).values(status=bindparam("st")), changed)
        if self.unit_events:
            session.execute(insert(UnitEvent.__table__), [
                {"unit_id": ids[e["key"]], "biz_step": e["biz_step"], "disposition": e["disposition"],
                 "occurred_at": e["occurred_at"], "recorded_at": now, "place": e["place"], "note": e["note"],
                 "actor_id": self.actor_id, "actor_label": self.actor_label} for e in self.unit_events])
        return len(fresh), len(moved)

    def _read_new_ids(self, keys: list[tuple]) -> None:
        for start in range(0, len(keys), LOOKUP_BATCH):
            rows = db.session.execute(
                select(ProductModel.gtin, Unit.serial, Unit.id).join(ProductModel, ProductModel.id == Unit.model_id)
                .where(Unit.manufacturer_id == self.tenant.id,
                       tuple_(ProductModel.gtin, Unit.serial).in_(keys[start:start + LOOKUP_BATCH])))
            for gtin, serial, unit_id in rows:
                self.units[(gtin, serial)].id = unit_id


def _aware(moment: datetime | None) -> datetime | None:
    """A timestamp read through a bare column expression comes back naive on SQLite; it is UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _names(epcs: list[Sgtin]) -> str:
    shown = ", ".join(epc_label(e) for e in epcs[:10])
    return shown + (f" and {len(epcs) - 10} more" if len(epcs) > 10 else "")
