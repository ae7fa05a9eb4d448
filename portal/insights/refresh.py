"""Keeps the insights' summary (portal.insights.models.UnitFacts) in step with the units, their sale events and
their ownerships: the worker calls `refresh()` on each round, `flask insights refresh` does it by hand.

A refresh reads what was added since the last one: units, unit events and ownerships with a higher id than
it had seen (less a margin, for rows another transaction wrote with a lower id and committed later). The
units they touch are written again from the tables, in two statements (a DELETE and an INSERT ... SELECT);
nothing else is read. A unit event is written for every change of a unit's status and for building a unit
into another (portal.catalog.services.record_event), so those reach the summary too. `full=True` rewrites
every unit (the first time, or to start again from the tables).

Claims, terms, extensions and safety contacts are not summarised: the views read them as they are (a
tenant has few of them, and they change after the sale).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, insert, literal, select, text, union
from sqlalchemy.sql import ColumnElement

from portal.catalog.models import BizStep, Unit, UnitEvent
from portal.core.db import utcnow
from portal.extensions import db
from portal.insights.facts import REGISTRATION_NOTE, SUMMARY
from portal.insights.models import RefreshState, UnitFacts
from portal.insights.sql import day_number, month_number
from portal.ownership.models import Ownership

#: Ids re-read below the last refresh's highest: rows committed out of id order are not missed.
MARGIN = 1000
STATE = SUMMARY

COLUMNS = ("unit_id", "manufacturer_id", "model_id", "lot_id", "status", "made", "made_m", "sale", "sale_m", "shop",
           "sale_country", "registered", "registered_m", "purchased", "purchased_m", "retailer", "owner_country")


def stored(where: list[ColumnElement]):
    """The summary's rows of the units that pass `where` (not built into another), from the tables."""
    sale = (select(UnitEvent.unit_id, func.min(UnitEvent.occurred_at).label("at"),
                   func.max(UnitEvent.place).label("shop"), func.max(UnitEvent.country).label("country"))
            .join(Unit, Unit.id == UnitEvent.unit_id)
            .where(*where, UnitEvent.biz_step == BizStep.RETAIL_SELLING, UnitEvent.retracted_at.is_(None),
                   UnitEvent.note != REGISTRATION_NOTE)
            .group_by(UnitEvent.unit_id).subquery("sale"))
    reg = (select(Ownership.unit_id, func.min(Ownership.since).label("since"),
                  func.min(Ownership.purchased_on).label("purchased_on"),
                  func.max(Ownership.retailer).label("retailer"), func.max(Ownership.country).label("country"))
           .join(Unit, Unit.id == Ownership.unit_id).where(*where)
           .group_by(Ownership.unit_id).subquery("reg"))
    return (
        select(Unit.id, Unit.manufacturer_id, Unit.model_id, Unit.lot_id, Unit.status,
               day_number(Unit.manufactured_on), month_number(Unit.manufactured_on),
               day_number(sale.c.at, timestamp=True), month_number(sale.c.at, timestamp=True), sale.c.shop,
               sale.c.country, day_number(reg.c.since, timestamp=True), month_number(reg.c.since, timestamp=True),
               day_number(reg.c.purchased_on), month_number(reg.c.purchased_on), reg.c.retailer, reg.c.country)
        .outerjoin(sale, sale.c.unit_id == Unit.id)
        .outerjoin(reg, reg.c.unit_id == Unit.id)
        .where(*where, Unit.parent_id.is_(None))
    )


@dataclass(frozen=True)
class Refreshed:
    units: int  # units written again
    at: datetime
    full: bool


def _highest(column) -> int:
    return db.session.scalar(select(func.coalesce(func.max(column), 0))) or 0


def state() -> RefreshState | None:
    return db.session.get(RefreshState, STATE)


def refresh(*, full: bool = False) -> Refreshed:
    """Bring the summary up to date (flushes; the caller commits). The first refresh is a full one."""
    seen = state()
    full = full or seen is None
    high = {"unit_id": _highest(Unit.id), "event_id": _highest(UnitEvent.id), "ownership_id": _highest(Ownership.id)}
    if full:
        if db.session.get_bind().dialect.name == "postgresql":
            # TRUNCATE, not DELETE: ten million dead rows would double what the views read until a vacuum
            # (it locks the table until the commit: the views wait for a full refresh, which is rare).
            db.session.execute(text("TRUNCATE insight_unit_facts"))
        else:
            db.session.execute(delete(UnitFacts))
        db.session.execute(insert(UnitFacts).from_select(COLUMNS, stored([literal(True)])))
        written = db.session.scalar(select(func.count()).select_from(UnitFacts))
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("ANALYZE insight_unit_facts"))  # a new table's statistics, for the plans
    else:
        touched = union(
            select(Unit.id).where(Unit.id > seen.unit_id - MARGIN),
            select(UnitEvent.unit_id).where(UnitEvent.id > seen.event_id - MARGIN),
            select(Ownership.unit_id).where(Ownership.id > seen.ownership_id - MARGIN),
        ).subquery("touched")
        db.session.execute(delete(UnitFacts).where(UnitFacts.unit_id.in_(select(touched.c[0]))))
        db.session.execute(insert(UnitFacts).from_select(COLUMNS, stored([Unit.id.in_(select(touched.c[0]))])))
        written = db.session.scalar(select(func.count()).select_from(UnitFacts)
                                    .where(UnitFacts.unit_id.in_(select(touched.c[0]))))
    now = utcnow()
    if seen is None:
        seen = RefreshState(name=STATE)
        db.session.add(seen)
    seen.unit_id, seen.event_id, seen.ownership_id = high["unit_id"], high["event_id"], high["ownership_id"]
    seen.refreshed_at, seen.units = now, max(written or 0, 0)
    db.session.flush()
    return Refreshed(seen.units, now, full)


def units_changed(tenant_id: int, unit_ids=None, **_) -> None:
    """On `units_landed` with the units named (a list or a SELECT of ids): write their facts again now, if
    the summary is built. An EPCIS error declaration retracts a sale and changes a unit's status or parent
    without writing a new unit event, which an incremental refresh would not see. (Without ids, a bulk
    import or capture: their new units and events reach the summary at the worker's next round.)"""
    if unit_ids is None or (isinstance(unit_ids, list) and not unit_ids) or state() is None:
        return
    db.session.execute(delete(UnitFacts).where(UnitFacts.unit_id.in_(unit_ids)))
    db.session.execute(insert(UnitFacts).from_select(COLUMNS, stored([Unit.id.in_(unit_ids)])))


def refreshed_at() -> datetime | None:
    """When the summary was last brought up to date; None if it was never built."""
    return db.session.scalar(select(RefreshState.refreshed_at).where(RefreshState.name == STATE))


def due(now: datetime | None = None) -> bool:
    """Whether the worker should refresh now: never built, or older than INSIGHT_REFRESH_SECONDS (60)."""
    last = refreshed_at()
    if last is None:
        return True
    seconds = current_app.config.get("INSIGHT_REFRESH_SECONDS", 60)
    return ((now or utcnow()) - last).total_seconds() >= seconds
