"""CSV import of serialized units: streamed, checked in Python, landed set-based.

The file is read in chunks of `CHUNK` rows. Each row is checked in Python (a bad row is recorded
with its line number and the good rows still land) and the chunk goes straight into a temporary
staging table, so memory holds one chunk however large the file. Everything that needs the whole
file (a unit given twice, an NFC tag given twice, a parent further down the file, parent cycles)
is decided afterwards by set-based statements over the staging table, and the rows reach `lots`,
`units` and `unit_events` through a handful of INSERT ... SELECT / UPDATE statements, never a
query per row. Units already present are left exactly as they are, so importing the same file
twice changes nothing and an interrupted import is resumed by running it again.
"""
from __future__ import annotations

import csv
import io
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

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

from portal.catalog.models import BizStep, Disposition, Lot, Manufacturer, ProductModel, Unit, UnitEvent
from portal.catalog.services import parse_nfc_uid
from portal.core import audit
from portal.core.db import UTCDateTime, utcnow
from portal.core.errors import DomainError, Invalid
from portal.core.gs1 import CSET_82, GS1Error, normalize_gtin, validate_lot, validate_serial
from portal.core.signals import units_landed
from portal.extensions import db

COLUMNS = ["gtin", "serial", "lot", "manufactured_on", "parent_gtin", "parent_serial", "nfc_uid"]
REQUIRED = {"gtin", "serial"}
CHUNK = 20_000
NOT_UTF8 = "The file is not UTF-8 text. Save the CSV as UTF-8 and try again."
CYCLE = "parent chain forms a cycle (a unit inside itself)"
PARENT_MISSING = "parent unit not found among your units or in this file"

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
_cset_82 = re.compile("[" + re.escape("".join(sorted(CSET_82))) + "]{1,20}").fullmatch


@dataclass
class ImportReport:
    added: int = 0
    unchanged: int = 0
    #: (line, reason) for each rejected row, by line; empty when they were written to an `error_report`.
    rejected: list[tuple[int, str]] = field(default_factory=list)
    rejected_count: int = 0

    @property
    def total(self) -> int:
        return self.added + self.unchanged + self.rejected_count


Progress = Callable[[str, int], None]


def import_units_csv(tenant: Manufacturer, source: Iterable[str] | str | bytes, *, actor,
                     progress: Progress | None = None, error_report: TextIO | None = None) -> ImportReport:
    """Import a CSV (header `gtin,serial,lot,manufactured_on,parent_gtin,parent_serial,nfc_uid`).

    `progress(stage, n)` hears "checked" and "staged" with the records of each chunk, "landing" between
    the set-based statements, and "landed" at the end. With `error_report` (a text file), the rejected
    rows are written to it as CSV (`line,reason`) straight from the database instead of being collected
    in `report.rejected`, so a file full of bad rows does not fill memory either.
    """
    if isinstance(source, bytes):
        source = io.TextIOWrapper(io.BytesIO(source), encoding="utf-8-sig", newline="")
    elif isinstance(source, str):
        source = io.StringIO(source)
    reader = csv.reader(source)
    with _reading(reader):
        header = read_header(reader)
    models = dict(db.session.execute(
        select(ProductModel.gtin, ProductModel.id).where(ProductModel.manufacturer_id == tenant.id)).all())
    report = ImportReport()
    conn = db.session.connection()
    staging.drop(conn, checkfirst=True)
    staging.create(conn)
    try:
        checker = _RowChecker(header, models)
        with _reading(reader):
            for chunk in checker.chunks(reader):
                _stage(conn, chunk)
                if progress:
                    progress("checked", len(chunk))
                    progress("staged", len(chunk))
        repeats = _index_staging(conn, checker)
        if conn.dialect.name == "postgresql":
            # Big set-based statements: compiling them to machine code costs more than it saves here.
            conn.exec_driver_sql("SET LOCAL jit = off")
            conn.exec_driver_sql("ANALYZE unit_import_staging")  # autovacuum never sees temporary tables
        _reject_whole_file_conflicts(tenant, checker, repeats, progress)
        report.rejected_count = _collect_rejected(report, error_report)
        _land(tenant, report, progress)
    finally:
        try:
            staging.drop(conn, checkfirst=True)
        except SQLAlchemyError:  # the transaction failed; its rollback (or the next import) takes the table
            pass
    db.session.expire_all()
    audit.log(actor, "units.imported", tenant, manufacturer_id=tenant.id, added=report.added,
              unchanged=report.unchanged, rejected=report.rejected_count)
    return report


def read_header(records: Iterator[list[str]]) -> list[str]:
    """The normalized header row; refuses unknown columns and a missing gtin or serial."""
    header = [h.strip().lower() for h in next(records, [])]
    missing, unknown = REQUIRED - set(header), set(header) - set(COLUMNS)
    twice = sorted({h for h in header if header.count(h) > 1})
    if missing or unknown or twice:
        raise Invalid(f"The header must be {','.join(COLUMNS)} (all but gtin and serial optional); "
                      f"missing: {', '.join(sorted(missing)) or 'none'}; unknown: {', '.join(sorted(unknown)) or 'none'}"
                      + (f"; given twice: {', '.join(twice)}." if twice else "."))
    return header


@contextmanager
def _reading(reader):
    """A file that stops being UTF-8 or CSV halfway is refused with a reason, like a bad header."""
    try:
        yield
    except UnicodeDecodeError:
        raise Invalid(NOT_UTF8) from None
    except csv.Error as err:
        raise Invalid(f"The file is not a CSV this import can read (record {reader.line_num}: {err}).") from None


class _RowChecker:
    """Turns CSV records into staging rows, a chunk at a time.

    The common row takes a fast path: cached GTIN and date lookups, one regular expression per identifier.
    Any row that does not fit it goes through `_check_row`, the one definition of what is wrong with a row,
    so a rejected row reads the same whichever path it took.
    """

    def __init__(self, header: list[str], models: dict[str, int]) -> None:
        self.header, self.models, self.width = header, models, len(header)
        # Absent columns read the empty field appended to each record.
        self.pick = operator.itemgetter(*(header.index(c) if c in header else self.width for c in COLUMNS))
        self.gtins: dict[str, str | None] = {}  # raw text -> GTIN-14, or None when invalid
        self.dates: dict[str, str | None] = {}  # raw text -> ISO date, or None when invalid or in the future
        self.today = date.today()
        self.has_parents = self.has_nfc = False
        #: Models of rows that name a parent, and models named as parents: a cycle needs a model in both.
        self.child_models: set[int] = set()
        self.parent_models: set[int] = set()

    @property
    def may_have_cycles(self) -> bool:
        return not self.child_models.isdisjoint(self.parent_models)

    def chunks(self, records: Iterator[list[str]]) -> Iterator[list[tuple]]:
        chunk: list[tuple] = []
        width, pick, fast, slow = self.width, self.pick, self._fast_path(), self._slow
        for line, values in enumerate(records, start=2):
            if not (values and values[0].strip()) and not any(v.strip() for v in values):
                continue  # a blank line
            row = None
            if len(values) == width:
                values.append("")
                row = fast(line, *pick(values))
                values.pop()
            chunk.append(row or slow(line, values))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _slow(self, line: int, values: list[str]) -> tuple:
        try:
            checked = _check_row(dict(zip(self.header, values, strict=False)), len(values) == self.width, self.models)
        except (Invalid, GS1Error) as err:
            return (line, None, None, None, None, None, None, None, str(err)[:300])
        parent_model_id = self.models.get(checked["parent_gtin"]) if checked["parent_gtin"] else None
        made = checked["manufactured_on"].isoformat() if checked["manufactured_on"] else None
        self.has_parents = self.has_parents or checked["parent_serial"] is not None
        if parent_model_id is not None:
            self.child_models.add(checked["model_id"])
            self.parent_models.add(parent_model_id)
        self.has_nfc = self.has_nfc or checked["nfc_uid"] is not None
        return (line, checked["model_id"], checked["serial"], checked["lot"], made, parent_model_id,
                checked["parent_serial"], checked["nfc_uid"], None)

    def _gtin(self, raw: str) -> str | None:
        if raw not in self.gtins:
            if len(self.gtins) > 10_000:
                self.gtins.clear()
            try:
                self.gtins[raw] = normalize_gtin(raw)
            except GS1Error:
                self.gtins[raw] = None
        return self.gtins[raw]

    def _date(self, raw: str) -> str | None:
        if raw not in self.dates:
            if len(self.dates) > 10_000:
                self.dates.clear()
            try:
                made = date.fromisoformat(raw)
            except ValueError:
                made = None
            self.dates[raw] = made.isoformat() if made and made <= self.today else None
        return self.dates[raw]

    def _fast_path(self) -> Callable[..., tuple | None]:
        """The check of a well-formed row (None for anything else), with everything it needs in local names."""
        gtins, dates, models, gtin14, iso_date, cset_82 = (
            self.gtins, self.dates, self.models.get, self._gtin, self._date, _cset_82)
        child_models, parent_models = self.child_models, self.parent_models

        def fast(line: int, gtin: str, serial: str, lot: str, made: str, parent_gtin: str, parent_serial: str,
                 nfc: str) -> tuple | None:
            gtin = gtins[gtin] if gtin in gtins else gtin14(gtin)
            model_id = models(gtin)
            serial = serial.strip()
            if model_id is None or not cset_82(serial):
                return None
            lot = lot.strip()
            if lot and not cset_82(lot):
                return None
            made = made.strip()
            if made and (made := dates[made] if made in dates else iso_date(made)) is None:
                return None
            parent_model_id = None
            parent_serial = parent_serial.strip()
            if parent_serial or parent_gtin.strip():
                parent_gtin = gtin14(parent_gtin)
                if not parent_gtin or not cset_82(parent_serial) or (parent_gtin, parent_serial) == (gtin, serial):
                    return None
                parent_model_id = models(parent_gtin)
                self.has_parents = True
                if parent_model_id is not None:
                    child_models.add(model_id)
                    parent_models.add(parent_model_id)
            nfc = nfc.strip()
            if nfc:
                try:
                    nfc = parse_nfc_uid(nfc)
                except DomainError:
                    return None
                self.has_nfc = True
            return (line, model_id, serial, lot or None, made or None, parent_model_id, parent_serial or None,
                    nfc or None, None)

        return fast


def _check_row(raw: dict[str, str], complete: bool, models: dict[str, int]) -> dict:
    if not complete:
        raise Invalid("has a different number of fields than the header")
    value = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    gtin = normalize_gtin(value["gtin"])
    if gtin not in models:
        raise Invalid(f"GTIN {gtin} is not one of your product models")
    made = None
    if value["manufactured_on"]:
        try:
            made = date.fromisoformat(value["manufactured_on"])
        except ValueError:
            raise Invalid(f"manufactured_on {value['manufactured_on']!r} is not a date like 2026-03-31") from None
        if made > date.today():
            raise Invalid("manufactured_on lies in the future")
    parent_gtin = parent_serial = None
    if value["parent_gtin"] or value["parent_serial"]:
        if not (value["parent_gtin"] and value["parent_serial"]):
            raise Invalid("give both parent_gtin and parent_serial, or neither")
        parent_gtin, parent_serial = normalize_gtin(value["parent_gtin"]), validate_serial(value["parent_serial"])
        if (parent_gtin, parent_serial) == (gtin, value["serial"]):
            raise Invalid("a unit cannot be its own parent")
    try:
        nfc = parse_nfc_uid(value["nfc_uid"])
    except DomainError as err:
        raise Invalid(str(err)) from None
    return {
        "model_id": models[gtin],
        "serial": validate_serial(value["serial"]),
        "lot": validate_lot(value["lot"]) if value["lot"] else None,
        "manufactured_on": made,
        "parent_gtin": parent_gtin,
        "parent_serial": parent_serial,
        "nfc_uid": nfc,
    }


def _stage(conn, rows: list[tuple]) -> None:
    """Append checked rows to the staging table the fastest way the driver offers: COPY, or executemany."""
    if conn.dialect.name == "postgresql":
        with conn.connection.driver_connection.cursor() as cursor, \
                cursor.copy(f"COPY unit_import_staging ({', '.join(_STAGED)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:  # SQLite, the portal's other database
        conn.exec_driver_sql(f"INSERT INTO unit_import_staging ({', '.join(_STAGED)}) "
                             f"VALUES ({', '.join('?' * len(_STAGED))})", rows)


def _index_staging(conn, checker: _RowChecker) -> _Repeats:
    """Index the staged rows by unit and by NFC tag. A unique index that builds proves that nothing repeats
    and spares the search for repeats; when it cannot be built, a plain index serves that search."""
    repeats = _Repeats(units=not _unique_index(conn, "ix_unit_import_staging_unit", "(model_id, serial)"))
    if repeats.units:
        conn.exec_driver_sql("CREATE INDEX ix_unit_import_staging_unit ON unit_import_staging (model_id, serial, line)")
    if checker.has_nfc:
        repeats.tags = not _unique_index(conn, "ix_unit_import_staging_nfc", "(nfc_uid) WHERE nfc_uid IS NOT NULL")
        if repeats.tags:
            conn.exec_driver_sql("CREATE INDEX ix_unit_import_staging_nfc ON unit_import_staging (nfc_uid, line) "
                                 "WHERE nfc_uid IS NOT NULL")
    return repeats


@dataclass
class _Repeats:
    units: bool
    tags: bool = False


def _unique_index(conn, name: str, columns: str) -> bool:
    try:
        with conn.begin_nested():  # on PostgreSQL a failed statement would end the whole import
            conn.exec_driver_sql(f"CREATE UNIQUE INDEX {name} ON unit_import_staging {columns}")
    except IntegrityError:
        return False
    return True


def _reject_whole_file_conflicts(tenant: Manufacturer, checker: _RowChecker, repeats: _Repeats,
                                 progress: Progress | None) -> None:
    """Mark the rows that only the whole file (or the database) can refuse, in the order a reader would:
    a unit given again, an NFC tag given again, parent cycles, a tag of another unit, a parent nowhere."""
    session, s = db.session, staging.c
    heartbeat = (lambda: progress("landing", 0)) if progress else (lambda: None)
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
    if checker.may_have_cycles:
        _reject_cycles()
        heartbeat()
    if checker.has_nfc:
        other_unit_has_tag = exists().where(
            Unit.nfc_uid == s.nfc_uid, ~and_(Unit.model_id == s.model_id, Unit.serial == s.serial))
        session.execute(update(staging).where(s.error.is_(None), s.nfc_uid.is_not(None), other_unit_has_tag)
                        .values(error="NFC tag UID already belongs to another unit"))
    if checker.has_parents:
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


def _collect_rejected(report: ImportReport, error_report: TextIO | None) -> int:
    s = staging.c
    rejected = db.session.execute(select(s.line, s.error).where(s.error.is_not(None)).order_by(s.line)
                                  .execution_options(yield_per=5000))
    count = 0
    writer = csv.writer(error_report) if error_report is not None else None
    if writer:
        writer.writerow(["line", "reason"])
    for line, error in rejected:
        count += 1
        if writer:
            writer.writerow([line, error])
        else:
            report.rejected.append((line, error))
    return count


def _land(tenant: Manufacturer, report: ImportReport, progress: Progress | None) -> None:
    """Land the good rows that are not there yet: their lots, then the units with their parents, then one
    commissioning event each. The rows already there are counted and left alone."""
    session, s = db.session, staging.c
    heartbeat = (lambda: progress("landing", 0)) if progress else (lambda: None)
    if session.get_bind().dialect.name == "postgresql":
        added = _land_returning_ids(tenant, heartbeat)
    else:
        added = _land_with_ids_settled_first(tenant, heartbeat)
    heartbeat()
    valid = session.scalar(select(func.count()).select_from(staging).where(s.error.is_(None)))
    report.added, report.unchanged = added, valid - added
    if valid:  # active recalls re-check the tenant's units: new parts may sit in old assemblies
        units_landed.send(tenant.id, unit_ids=None)
    if progress:
        progress("landed", valid)


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


def _land_with_ids_settled_first(tenant: Manufacturer, heartbeat: Callable[[], None]) -> int:
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


def _land_returning_ids(tenant: Manufacturer, heartbeat: Callable[[], None]) -> int:
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
