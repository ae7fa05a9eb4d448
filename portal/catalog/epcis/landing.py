"""Writing what a capture accepted: the captured events (as sent, with their identifiers), new units,
parents, statuses and unit events, each in one executemany; then the error declarations."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from portal.catalog.epcis.bulk import insert_into
from portal.catalog.epcis.corrections import declare
from portal.catalog.epcis.models import CapturedEpc, CapturedEvent
from portal.catalog.epcis.reading import batches, one_of, postgresql, unit_ids
from portal.catalog.models import Unit, UnitEvent
from portal.core.db import utcnow
from portal.core.errors import Conflict
from portal.extensions import db

if TYPE_CHECKING:
    from portal.catalog.epcis.play import _Play

EVENT_COLUMNS = ["manufacturer_id", "event_id", "event_type", "action", "biz_step", "disposition", "biz_location",
                 "event_time", "captured_at", "units", "body", "capture_job_id", "declared_at", "declaration"]
UNIT_EVENT_COLUMNS = ["unit_id", "biz_step", "disposition", "occurred_at", "recorded_at", "place", "note",
                      "actor_id", "actor_label", "epcis_event_id"]
INSERT_EVENTS = insert_into(CapturedEvent.__table__, EVENT_COLUMNS)
INSERT_EVENTS_WITH_ID = insert_into(CapturedEvent.__table__, ["id", *EVENT_COLUMNS])
INSERT_EPCS = insert_into(CapturedEpc.__table__, ["event_pk", "role", "epc"])
INSERT_UNIT_EVENTS = insert_into(UnitEvent.__table__, UNIT_EVENT_COLUMNS)
#: An event's body as stored: compact JSON (one encoder for every event, not one built per call).
_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def land(play: _Play, *, job_id: int | None = None) -> bool:
    """Write what a chunk accepted; whether units were created or moved (active recalls re-check then).

    A capture racing this one for the same events or new units makes the database refuse one of them
    (unique eventIDs, unique serials); that one changes nothing and says so."""
    if not play.accepted and not play.declarations and not play.orphans:
        return False
    fresh = moved = 0
    try:
        with db.session.begin_nested():
            if play.accepted:
                fresh, moved = _write(play, job_id)
            if play.orphans:
                _write_declared(play, job_id)
    except IntegrityError:
        raise Conflict("Another capture changed some of these events or units at the same moment; send the "
                       "document again (events captured since are then reported as duplicates).") from None
    db.session.expire_all()  # units were written past the ORM: objects it holds re-read them
    for event in play.declarations:
        declare(play.tenant, event.event_id, event.declaration, actor=play.actor_label or "epcis")
    return bool(fresh or moved)


def stored_declaration(declaration: dict) -> str:
    return json.dumps({k: v for k, v in declaration.items() if k not in ("reason_word", "when")},
                      ensure_ascii=False)


def _row(play: _Play, e, now, job_id: int | None) -> dict:
    return {"manufacturer_id": play.tenant.id, "event_id": e.event_id, "event_type": e.type, "action": e.action,
            "biz_step": e.biz_step[:255], "disposition": e.disposition[:255], "biz_location": e.biz_location,
            "event_time": e.time, "captured_at": now, "units": play.counts.get(e.index, 0),
            "body": _compact(e.body if "errorDeclaration" not in e.body else
                             {k: v for k, v in e.body.items() if k != "errorDeclaration"}),
            "capture_job_id": job_id, "declared_at": None, "declaration": None}


def _write_declared(play: _Play, job_id: int | None) -> None:
    """Error declarations of events never captured here: kept as sent, declared from the start."""
    now = utcnow()
    rows = [_row(play, e, now, job_id) | {"declared_at": now, "declaration": stored_declaration(e.declaration)}
            for e in play.orphans]
    pk_of = _insert_events(play.tenant.id, rows, play.orphans)
    INSERT_EPCS.run([{"event_pk": pk_of[e.index], "role": role, "epc": epc}
                     for e in play.orphans for role, epc in e.epc_index])


def _write(play: _Play, job_id: int | None) -> tuple[int, int]:
    session, now, units, tenant = db.session, utcnow(), Unit.__table__, play.tenant
    pk_of = _insert_events(tenant.id, [_row(play, e, now, job_id) for e in play.accepted], play.accepted)
    INSERT_EPCS.run([{"event_pk": pk_of[e.index], "role": role, "epc": epc}
                     for e in play.accepted for role, epc in e.epc_index])
    fresh = [(key, s) for key, s in play.units.items() if s.new]
    if fresh:
        session.execute(insert(Unit), [
            {"manufacturer_id": tenant.id, "model_id": s.model_id, "serial": key[1], "status": s.status,
             "created_at": now} for key, s in fresh])
        _read_new_ids(play, [key for key, _ in fresh])
    ids = {key: s.id for key, s in play.units.items()}
    moved = [{"uid": s.id, "pid": None if s.parent is None else ids[s.parent] if s.parent[0] != "id" else s.parent[1]}
             for s in play.units.values() if s.moved]
    if moved:
        session.execute(update(units).where(units.c.id == bindparam("uid")).values(parent_id=bindparam("pid")), moved)
    # New units were inserted with their final status; of the others, only those whose status changed.
    _set_statuses([s for s in play.units.values() if not s.new and s.status is not s.stored])
    INSERT_UNIT_EVENTS.run([
        {"unit_id": ids[e["key"]], "biz_step": e["biz_step"], "disposition": e["disposition"],
         "occurred_at": e["occurred_at"], "recorded_at": now, "place": e["place"], "note": e["note"],
         "actor_id": play.actor_id, "actor_label": play.actor_label, "epcis_event_id": pk_of[e["index"]]}
        for e in play.unit_events])
    return len(fresh), len(moved)


def _set_statuses(changed: list) -> None:
    """The new statuses: one UPDATE per status and LOOKUP_BATCH units (a document sets few distinct ones)."""
    by_status: dict = {}
    for state in changed:
        by_status.setdefault(state.status, []).append(state.id)
    units = Unit.__table__
    for status, ids in by_status.items():
        for batch in batches(ids):
            db.session.execute(update(units).where(one_of(units.c.id, batch, numbers=True)).values(status=status))


def _insert_events(tenant_id: int, rows: list[dict], events: list) -> dict[int, int]:
    """Insert the captured events; event index -> row id.

    PostgreSQL hands out the ids first (one nextval query for all), so the rows go in with them. SQLite
    has no sequence to draw from, but one writer: the rows of one executemany, inserted while this
    transaction holds the database's write lock, take consecutive ids after the highest, so the ids are
    that highest one back; checked at both ends, else read back by their eventIDs (unique per tenant).
    """
    if postgresql():
        ids = db.session.scalars(text("SELECT nextval(pg_get_serial_sequence('epcis_events', 'id')) "
                                      "FROM generate_series(1, :n)"), {"n": len(rows)}).all()
        INSERT_EVENTS_WITH_ID.run([dict(row, id=pk) for row, pk in zip(rows, ids, strict=True)])
        return {e.index: pk for e, pk in zip(events, ids, strict=True)}
    INSERT_EVENTS.run(rows)
    table = CapturedEvent.__table__
    last = db.session.scalar(select(func.max(table.c.id)))
    first = last - len(rows) + 1
    ends = dict(db.session.execute(select(table.c.id, table.c.event_id).where(
        table.c.id.in_((first, last)), table.c.manufacturer_id == tenant_id)).all())
    if ends.get(first) == rows[0]["event_id"] and ends.get(last) == rows[-1]["event_id"]:
        return {e.index: first + n for n, e in enumerate(events)}
    return _event_pks(tenant_id, events)


def _event_pks(tenant_id: int, events: list) -> dict[int, int]:
    index_of = {e.event_id: e.index for e in events}
    found: dict[int, int] = {}
    for batch in batches(list(index_of)):
        stmt = select(CapturedEvent.id, CapturedEvent.event_id).where(CapturedEvent.manufacturer_id == tenant_id)
        for pk, event_id in db.session.execute(stmt.where(one_of(CapturedEvent.event_id, batch))):
            found[index_of[event_id]] = pk
    return found


def _read_new_ids(play: _Play, keys: list[tuple]) -> None:
    for key, unit_id in unit_ids(play.tenant.id, play.models, keys).items():
        play.units[key].id = unit_id
