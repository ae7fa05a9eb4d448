"""CSV import of serialized units, set-based.

Rows are checked one by one in Python (a bad row is reported with its line number and the good
rows still land), then land in a temporary staging table and reach `lots`, `units` and
`unit_events` through a handful of INSERT ... SELECT / UPDATE statements, never a query per row.
Units already present are left exactly as they are, so importing the same file twice changes nothing
and an interrupted import is resumed by running it again.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import (
    Boolean, Column, Date, Index, Integer, MetaData, String, Table, and_, exists, func, insert, literal, select, update,
)

from portal.catalog.models import BizStep, Disposition, Lot, Manufacturer, ProductModel, Unit, UnitEvent
from portal.catalog.services import parse_nfc_uid
from portal.core import audit
from portal.core.db import UTCDateTime, utcnow
from portal.core.errors import DomainError, Invalid
from portal.core.signals import units_landed
from portal.core.gs1 import GS1Error, normalize_gtin, validate_lot, validate_serial
from portal.extensions import db

COLUMNS = ["gtin", "serial", "lot", "manufactured_on", "parent_gtin", "parent_serial", "nfc_uid"]
REQUIRED = {"gtin", "serial"}
CHUNK = 5000

_staging_meta = MetaData()
staging = Table(
    "unit_import_staging", _staging_meta,
    Column("line", Integer, primary_key=True),
    Column("model_id", Integer, nullable=False),
    Column("serial", String(20), nullable=False),
    Column("lot", String(20)),
    Column("manufactured_on", Date),
    Column("parent_gtin", String(14)),
    Column("parent_serial", String(20)),
    Column("nfc_uid", String(14)),
    Column("is_new", Boolean),
    Column("error", String(200)),
    Index("ix_unit_import_staging_unit", "model_id", "serial", unique=True),
    prefixes=["TEMPORARY"],
)


@dataclass
class ImportReport:
    added: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.added + self.unchanged + len(self.rejected)


Progress = Callable[[str, int], None]


def import_units_csv(tenant: Manufacturer, source: Iterable[str] | str | bytes, *, actor,
                     progress: Progress | None = None) -> ImportReport:
    """Import a CSV (header `gtin,serial,lot,manufactured_on,parent_gtin,parent_serial,nfc_uid`)."""
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid("The file is not UTF-8 text. Save the CSV as UTF-8 and try again.") from None
    if isinstance(source, str):
        source = io.StringIO(source)
    reader = csv.reader(source)
    header = [h.strip().lower() for h in next(reader, [])]
    missing, unknown = REQUIRED - set(header), set(header) - set(COLUMNS)
    if missing or unknown:
        raise Invalid(f"The header must be {','.join(COLUMNS)} (all but gtin and serial optional); "
                      f"missing: {', '.join(sorted(missing)) or 'none'}; unknown: {', '.join(sorted(unknown)) or 'none'}.")
    models = dict(db.session.execute(
        select(ProductModel.gtin, ProductModel.id).where(ProductModel.manufacturer_id == tenant.id)).all())
    report = ImportReport()
    rows, seen, seen_nfc = [], {}, {}
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        try:
            row = _check_row(dict(zip(header, values, strict=False)), len(values) == len(header), models)
            key = (row["model_id"], row["serial"])
            if key in seen:
                raise Invalid(f"repeats the unit of line {seen[key]}")
            if row["nfc_uid"] and row["nfc_uid"] in seen_nfc:
                raise Invalid(f"NFC tag UID already given on line {seen_nfc[row['nfc_uid']]}")
        except (Invalid, GS1Error) as err:
            report.rejected.append((line, str(err)))
            continue
        seen[key] = line
        if row["nfc_uid"]:
            seen_nfc[row["nfc_uid"]] = line
        rows.append({"line": line, **row})
        if progress and len(rows) % CHUNK == 0:
            progress("checked", CHUNK)
    rows = _drop_parent_cycles(rows, {v: k for k, v in models.items()}, report)
    _land(tenant, rows, report, progress)
    report.rejected.sort()
    audit.log(actor, "units.imported", tenant, manufacturer_id=tenant.id, added=report.added,
              unchanged=report.unchanged, rejected=len(report.rejected))
    return report


def _drop_parent_cycles(rows: list[dict], gtin_of: dict[int, str], report: ImportReport) -> list[dict]:
    """Rows whose parent chain inside the file loops back to themselves (A in B in A) are rejected."""
    parent_of = {(gtin_of[r["model_id"]], r["serial"]): (r["parent_gtin"], r["parent_serial"])
                 for r in rows if r["parent_gtin"]}
    looping: set[tuple[str, str]] = set()
    for start in parent_of:
        path, node = [], start
        while node in parent_of and node not in path and node not in looping:
            path.append(node)
            node = parent_of[node]
        if node in path:
            looping.update(path[path.index(node):])
    if not looping:
        return rows
    kept = []
    for r in rows:
        if (gtin_of[r["model_id"]], r["serial"]) in looping:
            report.rejected.append((r["line"], "parent chain forms a cycle (a unit inside itself)"))
        else:
            kept.append(r)
    return kept


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


def _land(tenant: Manufacturer, rows: list[dict], report: ImportReport, progress: Progress | None) -> None:
    session = db.session
    conn = session.connection()
    staging.drop(conn, checkfirst=True)
    staging.create(conn)
    s = staging.c
    try:
        for start in range(0, len(rows), CHUNK):
            batch = rows[start:start + CHUNK]
            session.execute(insert(staging), [{**r, "is_new": None, "error": None} for r in batch])
            if progress:
                progress("staged", len(batch))
        _reject_conflicts(tenant, report)
        is_new = ~exists().where(Unit.model_id == s.model_id, Unit.serial == s.serial)
        session.execute(update(staging).values(is_new=is_new))
        fresh = s.is_new.is_(True)
        now = literal(utcnow(), UTCDateTime)
        session.execute(insert(Lot).from_select(
            ["model_id", "code", "created_at"],
            select(s.model_id, s.lot, now).where(fresh, s.lot.is_not(None),
                                                 ~exists().where(Lot.model_id == s.model_id, Lot.code == s.lot))
            .group_by(s.model_id, s.lot),
        ))
        session.execute(insert(Unit).from_select(
            ["manufacturer_id", "model_id", "serial", "lot_id", "manufactured_on", "nfc_uid", "status", "created_at"],
            select(literal(tenant.id), s.model_id, s.serial, Lot.id, s.manufactured_on, s.nfc_uid,
                   literal(Disposition.ACTIVE.value), now)
            .select_from(staging.outerjoin(Lot, and_(Lot.model_id == s.model_id, Lot.code == s.lot)))
            .where(fresh).order_by(s.line),
        ))
        _link_parents(tenant)
        session.execute(insert(UnitEvent).from_select(
            ["unit_id", "biz_step", "disposition", "occurred_at", "recorded_at", "actor_label", "note", "place"],
            select(Unit.id, literal(BizStep.COMMISSIONING.value), literal(Disposition.ACTIVE.value), now, now,
                   literal("import"), literal("Imported from CSV"), literal(""))
            .join(staging, and_(Unit.model_id == s.model_id, Unit.serial == s.serial)).where(fresh),
        ))
        if rows:  # active recalls re-check the tenant's units: new parts may sit in old assemblies
            units_landed.send(tenant.id, unit_ids=None)
        counts = dict(session.execute(
            select(s.is_new, func.count()).where(s.error.is_(None)).group_by(s.is_new)).all())
        report.added, report.unchanged = counts.get(True, 0), counts.get(False, 0)
        if progress:
            progress("landed", len(rows))
    finally:
        staging.drop(conn, checkfirst=True)
    session.expire_all()


def _reject_conflicts(tenant: Manufacturer, report: ImportReport) -> None:
    """Rows whose NFC UID belongs to another unit, or whose parent is nowhere to be found."""
    session, s = db.session, staging.c
    other_unit_has_tag = exists().where(
        Unit.nfc_uid == s.nfc_uid, ~and_(Unit.model_id == s.model_id, Unit.serial == s.serial))
    session.execute(update(staging).where(s.nfc_uid.is_not(None), other_unit_has_tag)
                    .values(error="NFC tag UID already belongs to another unit"))
    parent = staging.alias("parent")
    parent_known = exists().select_from(Unit.__table__.join(ProductModel, ProductModel.id == Unit.model_id)).where(
        ProductModel.gtin == s.parent_gtin, Unit.serial == s.parent_serial, Unit.manufacturer_id == tenant.id)
    parent_staged = exists().select_from(parent.join(ProductModel, ProductModel.id == parent.c.model_id)).where(
        ProductModel.gtin == s.parent_gtin, parent.c.serial == s.parent_serial, parent.c.error.is_(None))
    while True:  # a rejected parent takes its children with it, however deep the nesting
        missing = session.execute(update(staging).where(s.parent_gtin.is_not(None), s.error.is_(None),
                                                        ~parent_known, ~parent_staged)
                                  .values(error="parent unit not found among your units or in this file"))
        if not missing.rowcount:
            break
    failed = session.execute(select(s.line, s.error).where(s.error.is_not(None))).all()
    report.rejected.extend((line, error) for line, error in failed)
    session.execute(staging.delete().where(s.error.is_not(None)))


def _link_parents(tenant: Manufacturer) -> None:
    s = staging.c
    parent = Unit.__table__.alias("parent_unit")
    units = Unit.__table__
    parent_id = (
        select(parent.c.id)
        .join(ProductModel, ProductModel.id == parent.c.model_id)
        .where(ProductModel.gtin == s.parent_gtin, parent.c.serial == s.parent_serial,
               parent.c.manufacturer_id == tenant.id,
               s.model_id == units.c.model_id, s.serial == units.c.serial)
        .scalar_subquery()
    )
    has_parent = exists().where(s.model_id == units.c.model_id, s.serial == units.c.serial,
                                s.is_new.is_(True), s.parent_gtin.is_not(None))
    db.session.execute(update(units).where(has_parent).values(parent_id=parent_id))
