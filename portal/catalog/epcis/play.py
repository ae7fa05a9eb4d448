"""One chunk of a capture, decided in memory: the units its events name are read once (reading.py), then
the events are played in document order against that picture, so an event may name units an earlier event
commissioned. What each event type means for a unit is the table in docs/epcis.md; what was accepted is
written by landing.py.

An event naming units the tenant does not have (another tenant's count as unknown) is rejected with the
reason. An event with an errorDeclaration lands nothing of its own: once the rest has landed, the event it
declares erroneous is marked and its effects recomputed away (corrections.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from portal.catalog.epcis.document import Event
from portal.catalog.epcis.reading import UnitState, known_event_ids, named_units, parent_chains
from portal.catalog.epcis.report import CaptureReport
from portal.catalog.epcis.vocabulary import Sgtin, epc_label
from portal.catalog.models import BizStep, Disposition, ProductModel, Unit
from portal.extensions import db

if TYPE_CHECKING:
    from portal.catalog.epcis.capture import Capture

#: CBV steps the portal's own vocabulary has no word for, mapped to the nearest one.
STEP_ALIASES = {"assembling": BizStep.INSTALLING, "disassembling": BizStep.REMOVING}
BIZ_STEPS = {s.value: s for s in BizStep} | STEP_ALIASES
DISPOSITIONS = {d.value: d for d in Disposition}
MAX_NAMED = 20
#: How the events that carry a parentID read in a unit's history, per action.
WORDS = {"AggregationEvent": {"ADD": "Built into", "DELETE": "Taken out of", "OBSERVE": "Seen in"},
         "AssociationEvent": {"ADD": "Associated with", "DELETE": "No longer associated with", "OBSERVE": "Seen with"}}


class _Play:
    """One chunk, decided in memory against the units it names as the database has them."""

    def __init__(self, capture: Capture, events: list[Event]) -> None:
        self.capture, self.tenant, self.events = capture, capture.tenant, events
        self.actor_label, self.actor_id, self.models = capture.actor_label, capture.actor_id, capture.models
        self.parent_of_id: dict[int, int | None] = {}
        self.key_of_id: dict[int, tuple] = {}
        self.units = self._load_units(events)
        self.unit_events: list[dict] = []
        self.accepted: list[Event] = []
        self.declarations: list[Event] = []
        #: Declarations of events never captured here: stored declared, without effect.
        self.orphans: list[Event] = []
        self.counts: dict[int, int] = {}

    # --- reading the database once ------------------------------------------------------------------

    def _load_units(self, events: list[Event]) -> dict[tuple, UnitState]:
        keys = sorted({epc.key for e in events if e.error is None
                       for epc in (*e.epcs, *e.outputs, *([e.parent] if isinstance(e.parent, Sgtin) else []))})
        found = named_units(self.tenant.id, self.models, keys)
        self.key_of_id = {state.id: key for key, state in found.items()}
        outside = {s.parent[1] for s in found.values() if s.parent is not None} - set(self.key_of_id)
        if outside:  # the parent chains of units outside the document, read in one recursive query
            self.parent_of_id.update(parent_chains(self.tenant.id, outside))
        return found

    def _known_event_ids(self) -> dict[str, bool]:
        """eventID -> whether it was declared erroneous, for the document's eventIDs captured before."""
        return known_event_ids(self.tenant.id, list({e.event_id for e in self.events if e.error is None}))

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
                self.units[epc.key] = UnitState(None, self.models[epc.gtin], status, new=True, latest=event.time)

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
                    self.units[(gtin, serial)] = UnitState(unit_id, model_id, status, ("id", parent.id),
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
