"""What a capture asks the database: the units a chunk names, their parent chains, the eventIDs captured
before. Each question is one statement per LOOKUP_BATCH values, the values bound as one parameter (a JSON
array SQLite reads with json_each, a PostgreSQL array) rather than an `IN (?, ?, ...)` of one bind per
value, so the statement is compiled once instead of expanded anew for every batch; and each is written so
the database answers it with one index probe per value, whatever the size of the tables (`one_of`,
`known_event_ids`): a chunk's questions cost the same for the first chunk and the last.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ARRAY, BigInteger, String, Text, any_, cast, func, select, true, type_coerce
from sqlalchemy.orm import aliased

from portal.catalog.epcis.models import CapturedEvent
from portal.catalog.models import Disposition, Unit, UnitEvent
from portal.extensions import db

#: Values per lookup statement.
LOOKUP_BATCH = 2000
DISPOSITION = {d.value: d for d in Disposition}


@dataclass
class UnitState:
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


def postgresql() -> bool:
    return db.session.connection().dialect.name == "postgresql"


def one_of(column, values: list, *, numbers: bool = False):
    """`column` is one of `values`, bound as one parameter, in the form each database plans as index lookups.

    PostgreSQL: `= ANY(array)`, an index condition on the column's index. Joined to the array unnested (or
    `IN (SELECT unnest ...)`), it hashed the list and scanned the table, or every row of the tenant, for
    each batch: the statuses' UPDATE read all units once per chunk. SQLite: `IN (SELECT value FROM
    json_each(?))`, which probes the index once per value; joined to json_each, it scanned the table for
    each value instead."""
    if postgresql():
        return column == any_(cast(values, ARRAY(BigInteger if numbers else Text)))
    return column.in_(select(func.json_each(json.dumps(values)).table_valued("value").alias("given").c.value))


def _tenant(column, tenant_id: int):
    """The tenant's rows, checked on each row found rather than used to find them: given a model's unique
    (model_id, serial) index, SQLite (which keeps no statistics here) still chose the tenant's index and
    read every unit of the tenant for each batch, so a capture's lookups grew with the square of its size."""
    return column + 0 == tenant_id


def batches(values: list):
    for start in range(0, len(values), LOOKUP_BATCH):
        yield values[start:start + LOOKUP_BATCH]


def units_by_model(models: dict[str, int], keys) -> list[tuple[int, str, list[str]]]:
    """(model id, GTIN, serials) for the (GTIN, serial) keys of the tenant's own models; others are no unit."""
    serials: dict[str, list[str]] = {}
    for gtin, serial in keys:
        if gtin in models:
            serials.setdefault(gtin, []).append(serial)
    return [(models[gtin], gtin, names) for gtin, names in serials.items()]


def named_units(tenant_id: int, models: dict[str, int], keys) -> dict[tuple, UnitState]:
    """The tenant's units among the (GTIN, serial) keys, each with its latest standing event's time.

    Read through the session's connection (no ORM rows), the time as the database gives it and the status
    as its word: a chunk reads thousands of rows, and SQLAlchemy's processing of each was most of the cost."""
    found: dict[tuple, UnitState] = {}
    latest = type_coerce(select(func.max(UnitEvent.occurred_at)).where(
        UnitEvent.unit_id == Unit.id, UnitEvent.retracted_at.is_(None)).scalar_subquery(), String)
    units = Unit.__table__
    status = type_coerce(units.c.status, String)
    connection = db.session.connection()
    for model_id, gtin, serials in units_by_model(models, keys):
        # One model at a time: (model_id, serial) is the units' unique index, so each batch is index lookups.
        for batch in batches(serials):
            rows = connection.execute(
                select(units.c.serial, units.c.id, status, units.c.parent_id, latest)
                .where(_tenant(units.c.manufacturer_id, tenant_id), units.c.model_id == model_id,
                       one_of(units.c.serial, batch)))
            for serial, unit_id, word, parent_id, last in rows:
                stored = DISPOSITION[word]
                found[(gtin, serial)] = UnitState(unit_id, model_id, stored, ("id", parent_id) if parent_id else None,
                                                  latest=_moment(last), stored=stored)
    return found


def unit_ids(tenant_id: int, models: dict[str, int], keys) -> dict[tuple, int]:
    """(GTIN, serial) -> id of the tenant's units among `keys` (those this capture just inserted)."""
    found: dict[tuple, int] = {}
    for model_id, gtin, serials in units_by_model(models, keys):
        for batch in batches(serials):
            for serial, unit_id in db.session.execute(select(Unit.serial, Unit.id).where(
                    _tenant(Unit.manufacturer_id, tenant_id), Unit.model_id == model_id, one_of(Unit.serial, batch))):
                found[(gtin, serial)] = unit_id
    return found


def parent_chains(tenant_id: int, start_ids: set[int]) -> dict[int, int | None]:
    """Unit id -> parent id along the chains above `start_ids`, read in one recursive query per batch."""
    chains: dict[int, int | None] = {}
    for batch in batches(sorted(start_ids)):
        seed = select(Unit.id, Unit.parent_id).where(one_of(Unit.id, batch, numbers=True),
                                                     Unit.manufacturer_id == tenant_id)
        chain = seed.cte("chain", recursive=True)
        above = aliased(Unit)
        chain = chain.union(select(above.id, above.parent_id).join(chain, above.id == chain.c.parent_id)
                            .where(above.manufacturer_id == tenant_id))
        chains.update(db.session.execute(select(chain.c.id, chain.c.parent_id)).all())
    return chains


def known_event_ids(tenant_id: int, event_ids: list[str]) -> dict[str, bool]:
    """eventID -> whether it was declared erroneous, for those of `event_ids` the tenant captured before.

    On PostgreSQL each eventID is looked up on its own (LATERAL, LIMIT 1: the subquery is not merged into a
    join), so every lookup is one probe of the unique (tenant, eventID) index. While a capture fills the
    table in its own transaction the planner still believes it empty: given the list as a filter it chose
    the tenant's event_time index and read every event of the tenant per chunk (f7f2c01), and joined to the
    list it hashed every event of the tenant per chunk; either way a capture grew with the square of its
    size, and with the tenant's history."""
    known: dict[str, bool] = {}
    events = CapturedEvent.__table__
    for batch in batches(sorted(event_ids)):
        if postgresql():
            given = func.unnest(cast(batch, ARRAY(Text))).table_valued("value").render_derived(name="given")
            found = (select(events.c.event_id, events.c.declared_at)
                     .where(events.c.manufacturer_id == tenant_id, events.c.event_id == given.c.value)
                     .limit(1).lateral("found"))
            stmt = select(found.c.event_id, found.c.declared_at).select_from(given).join(found, true())
        else:
            stmt = select(events.c.event_id, events.c.declared_at).where(
                events.c.manufacturer_id == tenant_id, one_of(events.c.event_id, batch))
        known.update((event_id, declared is not None) for event_id, declared in db.session.execute(stmt))
    return known


def _moment(value) -> datetime | None:
    """A stored time as read without SQLAlchemy's conversion: text on SQLite (stored in UTC), else aware."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
