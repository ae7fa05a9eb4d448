"""CSV import of serialized units: streamed, checked in Python, landed set-based.

The file is read in chunks of `CHUNK` rows. Each row is checked in Python (a bad row is recorded
with its line number and the good rows still land) and the chunk goes straight into a temporary
staging table, so memory holds one chunk however large the file. Everything that needs the whole
file (a unit given twice, an NFC tag given twice, a parent further down the file, parent cycles)
is decided afterwards by set-based statements over the staging table, and the rows reach `lots`,
`units` and `unit_events` through a handful of INSERT ... SELECT / UPDATE statements, never a
query per row (those live in `portal.catalog.import_staging`). Units already present are left
exactly as they are, so importing the same file twice changes nothing and an interrupted import
is resumed by running it again.
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

from sqlalchemy import select

from portal.catalog import import_staging as staged
from portal.catalog.models import Manufacturer, ProductModel
from portal.catalog.services import parse_nfc_uid
from portal.core import audit
from portal.core.errors import DomainError, Invalid
from portal.core.exports import csv_writer
from portal.core.gs1 import CSET_82, GS1Error, canonical_gtin, validate_lot, validate_serial
from portal.extensions import db

COLUMNS = ["gtin", "serial", "lot", "manufactured_on", "parent_gtin", "parent_serial", "nfc_uid"]
REQUIRED = {"gtin", "serial"}
CHUNK = 20_000
NOT_UTF8 = "The file is not UTF-8 text. Save the CSV as UTF-8 and try again."
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
    heartbeat = (lambda: progress("landing", 0)) if progress else (lambda: None)
    conn = db.session.connection()
    staged.create(conn)
    try:
        checker = _RowChecker(header, models)
        with _reading(reader):
            for chunk in checker.chunks(reader):
                staged.stage(conn, chunk)
                if progress:
                    progress("checked", len(chunk))
                    progress("staged", len(chunk))
        repeats = staged.index_staging(conn, tags=checker.has_nfc)
        staged.reject_whole_file_conflicts(repeats, parents=checker.has_parents, tags=checker.has_nfc,
                                           cycles=checker.may_have_cycles, heartbeat=heartbeat)
        report.rejected_count = _collect_rejected(report, error_report)
        report.added, valid = staged.land(tenant, heartbeat)
        report.unchanged = valid - report.added
        if progress:
            progress("landed", valid)
    finally:
        staged.drop(conn)
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
                self.gtins[raw] = canonical_gtin(raw)
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
    gtin = canonical_gtin(value["gtin"])
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
        parent_gtin, parent_serial = canonical_gtin(value["parent_gtin"]), validate_serial(value["parent_serial"])
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


def _collect_rejected(report: ImportReport, error_report: TextIO | None) -> int:
    count = 0
    writer = csv_writer(error_report) if error_report is not None else None
    if writer:
        writer.writerow(["line", "reason"])
    for line, reason in staged.rejected_rows():
        count += 1
        if writer:
            writer.writerow([line, reason])
        else:
            report.rejected.append((line, reason))
    return count
