"""The staging side of the CSV import: a temporary table of checked rows, the whole-file rules decided over it
set-based, and the landing of the good rows in `lots`, `units` and `unit_events`.

Nothing here loops over rows in Python: a million rows cost a handful of statements, each one pass (or a
probe per row) over the staging table. The importer (`portal.catalog.importer`) reads and checks the file
and calls these in order: `create`, `stage` per chunk, `index_staging`, `reject_whole_file_conflicts`,
`rejected_rows`, `land`, `drop`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from portal.catalog.models import BizStep, Disposition, Lot, Manufacturer, Unit, UnitEvent
from portal.core.db import UTCDateTime, utcnow
from portal.core.signals import units_landed
from portal.extensions import db

CYCLE = "parent chain forms a cycle (a unit inside itself)"
PARENT_MISSING = "parent unit not found among your units or in this file"

Heartbeat = Callable[[], None]

_staging_meta = MetaData()
#: One row per record of the file. Rows refused by the Python checks keep only their line and error;
#: `parent_model_id` is NULL when the parent's GTIN is not one of the tenant's models (it cannot be found).
#: Filled in along the way: `looping` (the cycle search) and, on SQLite, `new_id` (the id the unit will get,
#: NULL when it exists already) and `parent_id` (its parent's id).
staging = Table(
    "unit_import_staging", _staging_meta,
    Column("line", Integer, primary_key=True, autoincrement=False),
    Column("model_id", Integer),
    Column("serial", String(20)),
    Column("lot", String(20)),
    Column("manufactured_on", Date),
    Column("parent_model_id", Integer),
    Column("parent_serial", String(20)),
    Column("nfc_uid", String(14)),
    Column("error", String(300)),
    Column("looping", Boolean),
    Column("new_id", Integer),
    Column("parent_id", Integer),
    prefixes=["TEMPORARY"],
)
_STAGED = ["line", "model_id", "serial", "lot", "manufactured_on", "parent_model_id", "parent_serial", "nfc_uid",
           "error"]


def create(conn) -> None:
    """A fresh staging table on this connection (a temporary table: other sessions never see it)."""
    staging.drop(conn, checkfirst=True)
    staging.create(conn)
    if conn.dialect.name == "postgresql":
        # Big set-based statements: compiling them to machine code costs more than it saves here.
        conn.exec_driver_sql("SET LOCAL jit = off")


def drop(conn) -> None:
    try:
        staging.drop(conn, checkfirst=True)
    except SQLAlchemyError:  # the transaction failed; its rollback (or the next import) takes the table
        pass


def stage(conn, rows: list[tuple]) -> None:
    """Append checked rows to the staging table the fastest way the driver offers: COPY, or executemany."""
    if conn.dialect.name == "postgresql":
        with conn.connection.driver_connection.cursor() as cursor, \
                cursor.copy(f"COPY unit_import_staging ({', '.join(_STAGED)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:  # SQLite, the portal's other database
        conn.exec_driver_sql(f"INSERT INTO unit_import_staging ({', '.join(_STAGED)}) "
                             f"VALUES ({', '.join('?' * len(_STAGED))})", rows)


def index_staging(conn, *, tags: bool) -> Repeats:
    """Index the staged rows by unit and by NFC tag. A unique index that builds proves that nothing repeats
    and spares the search for repeats; when it cannot be built, a plain index serves that search."""
    repeats = Repeats(units=not _unique_index(conn, "ix_unit_import_staging_unit", "(model_id, serial)"))
    if repeats.units:
        conn.exec_driver_sql("CREATE INDEX ix_unit_import_staging_unit ON unit_import_staging (model_id, serial, line)")
    if tags:
        repeats.tags = not _unique_index(conn, "ix_unit_import_staging_nfc", "(nfc_uid) WHERE nfc_uid IS NOT NULL")
        if repeats.tags:
            conn.exec_driver_sql("CREATE INDEX ix_unit_import_staging_nfc ON unit_import_staging (nfc_uid, line) "
                                 "WHERE nfc_uid IS NOT NULL")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE unit_import_staging")  # autovacuum never sees temporary tables
    return repeats


@dataclass
class Repeats:
    """Whether some unit, and some NFC tag, is given on more than one row of the file."""

    units: bool
    tags: bool = False


def _unique_index(conn, name: str, columns: str) -> bool:
    try:
        with conn.begin_nested():  # on PostgreSQL a failed statement would end the whole import
            conn.exec_driver_sql(f"CREATE UNIQUE INDEX {name} ON unit_import_staging {columns}")
    except IntegrityError:
        return False
    return True


def reject_whole_file_conflicts(repeats: Repeats, *, parents: bool, tags: bool, cycles: bool,
                                heartbeat: Heartbeat) -> None:
    """Mark the rows that only the whole file (or the database) can refuse, in the order a reader would:
    a unit given again, an NFC tag given again, parent cycles, a tag of another unit, a parent nowhere.
    `parents`, `tags` and `cycles` say whether the file has any of them at all (`cycles`: whether some model
    is both a parent and a child in it), so a file without them skips their statements."""
    session, s = db.session, staging.c
    first = staging.alias("first")
    if repeats.units:
        same_unit = and_(first.c.model_id == s.model_id, first.c.serial == s.serial)
        session.execute(update(staging).where(
            s.error.is_(None), exists().where(same_unit, first.c.line < s.line),
        ).values(error=literal("repeats the unit of line ") + cast(
            select(func.min(first.c.line)).where(same_unit).scalar_subquery(), String)))
        heartbeat()
    if repeats.tags:
        same_tag = and_(first.c.nfc_uid.is_not(None), first.c.nfc_uid == s.nfc_uid, first.c.error.is_(None))
        session.execute(update(staging).where(
            s.error.is_(None), s.nfc_uid.is_not(None), exists().where(same_tag, first.c.line < s.line),
        ).values(error=literal("NFC tag UID already given on line ") + cast(
            select(func.min(first.c.line)).where(same_tag).scalar_subquery(), String)))
    if cycles:
        _reject_cycles()
        heartbeat()
    if tags:
        other_unit_has_tag = exists().where(
            Unit.nfc_uid == s.nfc_uid, ~and_(Unit.model_id == s.model_id, Unit.serial == s.serial))
        session.execute(update(staging).where(s.error.is_(None), s.nfc_uid.is_not(None), other_unit_has_tag)
                        .values(error="NFC tag UID already belongs to another unit"))
    if parents:
        parent = staging.alias("parent")
        parent_staged = exists().where(parent.c.model_id == s.parent_model_id, parent.c.serial == s.parent_serial,
                                       parent.c.error.is_(None))
        # parent_model_id is one of the tenant's models, so a unit of it is the tenant's (fk_units_model_tenant).
        parent_known = exists().where(Unit.model_id == s.parent_model_id, Unit.serial == s.parent_serial)
        while True:  # a rejected parent takes its children with it, however deep the nesting
            missing = session.execute(update(staging).where(s.parent_serial.is_not(None), s.error.is_(None),
                                                            ~parent_staged, ~parent_known)
                                      .values(error=PARENT_MISSING))
            heartbeat()
            if not missing.rowcount:
                break


def _reject_cycles() -> None:
    """Rows whose parent chain inside the file loops back to themselves (A in B in A) are rejected.

    Only a row whose parent in the file has a parent itself can sit on a cycle; those start out as
    `looping`, and rows whose parent is not (or no longer) looping are peeled off level by level. What
    remains are the cycles and the rows hanging from them, few by nature, which are sorted out in Python.
    """
    session, s = db.session, staging.c
    parent = staging.alias("parent")
    staged_parent = and_(parent.c.model_id == s.parent_model_id, parent.c.serial == s.parent_serial,
                         parent.c.error.is_(None))
    session.execute(update(staging).where(s.error.is_(None), s.parent_model_id.is_not(None), exists().where(
        staged_parent, parent.c.parent_model_id.is_not(None))).values(looping=True))
    while session.execute(update(staging).where(s.looping.is_(True), ~exists().where(
            staged_parent, parent.c.looping.is_(True))).values(looping=None)).rowcount:
        pass
    rows = session.execute(select(s.line, s.model_id, s.serial, s.parent_model_id, s.parent_serial)
                           .where(s.looping.is_(True))).all()
    parent_of = {(r.model_id, r.serial): (r.parent_model_id, r.parent_serial) for r in rows}
    in_cycle: set[tuple[int, str]] = set()
    for start in parent_of:
        path, node = [], start
        while node in parent_of and node not in path and node not in in_cycle:
            path.append(node)
            node = parent_of[node]
        if node in path:
            in_cycle.update(path[path.index(node):])
    lines = [{"bad_line": r.line} for r in rows if (r.model_id, r.serial) in in_cycle]
    if lines:
        session.execute(update(staging).where(s.line == bindparam("bad_line")).values(error=CYCLE), lines)


def rejected_rows() -> Iterator[tuple[int, str]]:
    """(line, reason) of every refused row, by line, streamed from the database."""
    s = staging.c
    yield from db.session.execute(select(s.line, s.error).where(s.error.is_not(None)).order_by(s.line)
                                  .execution_options(yield_per=5000))


def land(tenant: Manufacturer, heartbeat: Heartbeat) -> tuple[int, int]:
    """Land the good rows that are not there yet: their lots, then the units with their parents, then one
    commissioning event each. Returns (added, good rows); the rows already there are left alone."""
    session, s = db.session, staging.c
    if session.get_bind().dialect.name == "postgresql":
        added = _land_returning_ids(tenant, heartbeat)
    else:
        added = _land_with_ids_settled_first(tenant, heartbeat)
    heartbeat()
    valid = session.scalar(select(func.count()).select_from(staging).where(s.error.is_(None)))
    if valid:  # active recalls re-check the tenant's units: new parts may sit in old assemblies
        units_landed.send(tenant.id, unit_ids=None)
    return added, valid


def _insert_lots(fresh) -> None:
    """The lots the new units name that the model does not have yet. Distinct first: a file has few lots
    and many rows, and a probe per lot beats a probe per row."""
    s = staging.c
    used = select(s.model_id, s.lot).where(fresh, s.lot.is_not(None)).distinct().subquery()
    db.session.execute(insert(Lot).from_select(
        ["model_id", "code", "created_at"],
        select(used.c.model_id, used.c.lot, literal(utcnow(), UTCDateTime)).where(
            ~exists().where(Lot.model_id == used.c.model_id, Lot.code == used.c.lot)),
    ))


_UNIT_COLUMNS = ["id", "manufacturer_id", "model_id", "serial", "lot_id", "manufactured_on", "nfc_uid", "parent_id",
                 "status", "created_at"]
_EVENT_COLUMNS = ["unit_id", "biz_step", "disposition", "occurred_at", "recorded_at", "actor_label", "note", "place"]


def _commissioning(unit_id, now) -> list:
    return [unit_id, literal(BizStep.COMMISSIONING.value), literal(Disposition.ACTIVE.value), now, now,
            literal("import"), literal("Imported from CSV"), literal("")]


def _land_with_ids_settled_first(tenant: Manufacturer, heartbeat: Heartbeat) -> int:
    """SQLite: give each new row its unit id and its parent's id in one pass over the staging table, then
    insert units and events straight from it.

    The ids follow the largest one, read in this same transaction: a writer committing in between makes
    this transaction fail (SQLite has one writer) rather than collide with it. A parent not in the database
    yet is a good row of this file, so its id is known before it is inserted.
    """
    session, s = db.session, staging.c
    parent = staging.alias("parent")
    base = session.scalar(select(func.coalesce(func.max(Unit.id), 0)))
    existing_parent = select(Unit.id).where(Unit.model_id == s.parent_model_id,
                                            Unit.serial == s.parent_serial).scalar_subquery()
    parent_of_file = select(literal(base) + parent.c.line).where(
        parent.c.model_id == s.parent_model_id, parent.c.serial == s.parent_serial,
        parent.c.error.is_(None)).scalar_subquery()
    session.execute(update(staging).where(
        s.error.is_(None), ~exists().where(Unit.model_id == s.model_id, Unit.serial == s.serial),
    ).values(new_id=literal(base) + s.line,
             parent_id=case((s.parent_model_id.is_not(None), func.coalesce(existing_parent, parent_of_file)))))
    fresh = s.new_id.is_not(None)
    _insert_lots(fresh)
    heartbeat()
    now = literal(utcnow(), UTCDateTime)
    session.execute(insert(Unit.__table__).from_select(_UNIT_COLUMNS, select(
        s.new_id, literal(tenant.id), s.model_id, s.serial, Lot.id, s.manufactured_on, s.nfc_uid, s.parent_id,
        literal(Disposition.ACTIVE.value), now,
    ).select_from(staging.outerjoin(Lot, and_(Lot.model_id == s.model_id, Lot.code == s.lot))).where(fresh)))
    heartbeat()
    session.execute(insert(UnitEvent.__table__).from_select(
        _EVENT_COLUMNS, select(*_commissioning(s.new_id, now)).where(fresh)))
    return session.scalar(select(func.count()).select_from(staging).where(fresh))


def _land_returning_ids(tenant: Manufacturer, heartbeat: Heartbeat) -> int:
    """PostgreSQL: one statement takes ids from the sequence, inserts the units (children finding parents of
    the same file by those ids) and their events from what the insert returns, and counts them; no pass
    rewrites the staging table (an UPDATE there writes a new version of every row)."""
    session, s = db.session, staging.c
    _insert_lots(and_(s.error.is_(None), ~exists().where(Unit.model_id == s.model_id, Unit.serial == s.serial)))
    heartbeat()
    units = Unit.__table__
    sequence = session.scalar(select(func.pg_get_serial_sequence("units", "id")))
    fresh = select(s.model_id, s.serial, s.lot, s.manufactured_on, s.nfc_uid, s.parent_model_id, s.parent_serial,
                   func.nextval(literal_column(f"'{sequence}'::regclass")).label("new_id")).where(
        s.error.is_(None), ~exists().where(units.c.model_id == s.model_id, units.c.serial == s.serial),
    ).cte("fresh")  # nextval makes PostgreSQL compute it once, whoever reads it
    parent = fresh.alias("fresh_parent")
    existing_parent = select(units.c.id).where(units.c.model_id == fresh.c.parent_model_id,
                                               units.c.serial == fresh.c.parent_serial).scalar_subquery()
    now = literal(utcnow(), UTCDateTime)
    landed = insert(units).from_select(_UNIT_COLUMNS, select(
        fresh.c.new_id, literal(tenant.id), fresh.c.model_id, fresh.c.serial, Lot.id, fresh.c.manufactured_on,
        fresh.c.nfc_uid, func.coalesce(parent.c.new_id, existing_parent), literal(Disposition.ACTIVE.value), now,
    ).select_from(
        fresh.outerjoin(parent, and_(parent.c.model_id == fresh.c.parent_model_id,
                                     parent.c.serial == fresh.c.parent_serial))
        .outerjoin(Lot, and_(Lot.model_id == fresh.c.model_id, Lot.code == fresh.c.lot))
    )).returning(units.c.id).cte("landed")
    events = insert(UnitEvent.__table__).from_select(_EVENT_COLUMNS, select(*_commissioning(landed.c.id, now)))
    # Every data-modifying CTE runs to completion whether or not the query reads it.
    return session.scalar(select(func.count()).select_from(landed).add_cte(events.cte("events")))
