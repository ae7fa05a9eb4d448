"""Writing what a capture accepted: the captured events (as sent, with their identifiers), new units,
parents, statuses and unit events, each in one executemany; then the error declarations."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from portal.catalog.epcis.corrections import declare
from portal.catalog.epcis.models import CapturedEpc, CapturedEvent
from portal.catalog.models import ProductModel, Unit, UnitEvent
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict
from portal.core.signals import units_landed
from portal.extensions import db

if TYPE_CHECKING:
    from portal.catalog.epcis.capture import CaptureReport, _Play

LOOKUP_BATCH = 2000


def land(play: _Play, report: CaptureReport, *, job_id: int | None = None) -> None:
    """Write what was accepted. A capture racing this one for the same events or new units makes the
    database refuse one of them (unique eventIDs, unique serials); that one changes nothing and says so."""
    if not play.accepted and not play.declarations and not play.orphans:
        return
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
    db.session.expire_all()
    for event in play.declarations:
        declare(play.tenant, event.event_id, event.declaration, actor=play.actor_label or "epcis")
    if fresh or moved:  # active recalls re-check: new units, or parts in new assemblies
        units_landed.send(play.tenant.id, unit_ids=None)
    audit.log(play.actor_label or "epcis", "epcis.captured", play.tenant, manufacturer_id=play.tenant.id,
              events=report.events, accepted=report.accepted, duplicates=report.duplicates,
              rejected=len(report.errors), units_created=report.units_created, declared=report.declared)


def stored_declaration(declaration: dict) -> str:
    return json.dumps({k: v for k, v in declaration.items() if k not in ("reason_word", "when")},
                      ensure_ascii=False)


def _row(play: _Play, e, now, job_id: int | None) -> dict:
    return {"manufacturer_id": play.tenant.id, "event_id": e.event_id, "event_type": e.type, "action": e.action,
            "biz_step": e.biz_step[:255], "disposition": e.disposition[:255], "biz_location": e.biz_location,
            "event_time": e.time, "captured_at": now, "units": play.counts.get(e.index, 0),
            "body": json.dumps({k: v for k, v in e.body.items() if k != "errorDeclaration"},
                               separators=(",", ":"), ensure_ascii=False),
            "capture_job_id": job_id, "declared_at": None, "declaration": None}


def _write_declared(play: _Play, job_id: int | None) -> None:
    """Error declarations of events never captured here: kept as sent, declared from the start."""
    now = utcnow()
    rows = [_row(play, e, now, job_id) | {"declared_at": now, "declaration": stored_declaration(e.declaration)}
            for e in play.orphans]
    pks = db.session.execute(insert(CapturedEvent.__table__).returning(CapturedEvent.__table__.c.id,
                                                                       sort_by_parameter_order=True), rows).all()
    named = [{"event_pk": pk[0], "role": role, "epc": epc}
             for e, pk in zip(play.orphans, pks, strict=True) for role, epc in e.epc_index]
    if named:
        db.session.execute(insert(CapturedEpc.__table__), named)


def _write(play: _Play, job_id: int | None) -> tuple[int, int]:
    session, now, units, tenant = db.session, utcnow(), Unit.__table__, play.tenant
    rows = session.execute(
        insert(CapturedEvent.__table__).returning(CapturedEvent.__table__.c.id, sort_by_parameter_order=True),
        [_row(play, e, now, job_id) for e in play.accepted]).all()
    pk_of = {event.index: row[0] for event, row in zip(play.accepted, rows, strict=True)}
    named = [{"event_pk": pk_of[e.index], "role": role, "epc": epc} for e in play.accepted for role, epc in e.epc_index]
    if named:
        session.execute(insert(CapturedEpc.__table__), named)
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
    changed = [{"uid": s.id, "st": s.status.value} for s in play.units.values()
               if not s.new and s.status is not s.stored]
    if changed:
        session.execute(update(units).where(units.c.id == bindparam("uid")).values(status=bindparam("st")), changed)
    if play.unit_events:
        session.execute(insert(UnitEvent.__table__), [
            {"unit_id": ids[e["key"]], "biz_step": e["biz_step"], "disposition": e["disposition"],
             "occurred_at": e["occurred_at"], "recorded_at": now, "place": e["place"], "note": e["note"],
             "actor_id": play.actor_id, "actor_label": play.actor_label, "epcis_event_id": pk_of[e["index"]]}
            for e in play.unit_events])
    return len(fresh), len(moved)


def _read_new_ids(play: _Play, keys: list[tuple]) -> None:
    for start in range(0, len(keys), LOOKUP_BATCH):
        rows = db.session.execute(
            select(ProductModel.gtin, Unit.serial, Unit.id).join(ProductModel, ProductModel.id == Unit.model_id)
            .where(Unit.manufacturer_id == play.tenant.id,
                   tuple_(ProductModel.gtin, Unit.serial).in_(keys[start:start + LOOKUP_BATCH])))
        for gtin, serial, unit_id in rows:
            play.units[(gtin, serial)].id = unit_id
