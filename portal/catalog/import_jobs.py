"""Background CSV imports: one ImportJob per uploaded file, run by a thread in development or by the worker.

The upload is saved under a random key in the upload folder and its lines counted; a job row records it.
Running a job claims it with a conditional UPDATE (so the web thread and the worker never both run it),
imports the file with `import_units_csv` while a side connection records progress and a heartbeat, and
marks it done in the same transaction that lands the units. A job whose process died stays "running"
with a stale heartbeat; the worker claims it again and imports the file from the start, which only adds
what is missing, so it ends exactly as an uninterrupted run would.
"""
from __future__ import annotations

import codecs
import csv
import secrets
import threading
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.catalog.importer import NOT_UTF8, import_units_csv, read_header
from portal.catalog.models import Manufacturer
from portal.core import audit
from portal.core.db import UTCDateTime, str_enum, utcnow
from portal.core.errors import DomainError, Invalid
from portal.core.storage import new_stored, open_stored, remove_stored
from portal.extensions import db

#: A running job whose heartbeat is older than this is presumed dead and run again. While checking rows
#: the heartbeat beats once per chunk; on SQLite it cannot beat while the units land (the import holds the
#: only write lock), so this leaves that final stretch minutes, not seconds.
STALE_AFTER = timedelta(minutes=5)
BLOCK = 1 << 20


class ImportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportJob(db.Model):
    """An uploaded CSV of units on its way in: queued -> running -> done (or failed)."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        CheckConstraint("rows_total >= 0 AND rows_done >= 0 AND added >= 0 AND unchanged >= 0 AND rejected >= 0",
                        name="counts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_by: Mapped[User | None] = relationship()  # noqa: F821 (resolved by name: accounts sits above catalog)
    filename: Mapped[str] = mapped_column(String(200), default="")
    file_key: Mapped[str] = mapped_column(String(80))
    state: Mapped[ImportState] = mapped_column(str_enum(ImportState, "import_state"), default=ImportState.QUEUED)
    #: Records in the file (its lines less the header until the import has read it), and records read so far.
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    #: CSV of the rejected rows (line, reason), written when the job is done.
    error_report_key: Mapped[str | None] = mapped_column(String(80))
    #: Why the job failed (a refused file, or an unexpected error).
    error: Mapped[str] = mapped_column(String(300), default="")
    #: Runs started; the outcome of a run counts only if no later run has claimed the job since.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.state in (ImportState.QUEUED, ImportState.RUNNING)

    @property
    def percent(self) -> int:
        if self.state is ImportState.DONE:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0


def start_import(tenant: Manufacturer, stream: BinaryIO, *, filename: str, actor) -> ImportJob:
    """Save an uploaded CSV under a random key and queue its import.

    The file is copied block by block, so its size never matters to memory. The header is checked now:
    a file that is not the right kind of CSV is refused at once instead of failing in the background.
    """
    key = f"import-{secrets.token_hex(16)}.csv"
    path = new_stored(key)
    first, lines, last = b"", 0, b"\n"
    text = codecs.getincrementaldecoder("utf-8")()  # the whole file, not just its header, must be text
    try:
        with path.open("wb") as out:
            while block := stream.read(BLOCK):
                if not first:
                    _check_not_binary(block)
                first = first or block
                lines += block.count(b"\n")
                last = block[-1:]
                _check_text(text, block)
                out.write(block)
        _check_text(text, b"", final=True)
        _check_header(first)
    except BaseException:  # a refused file, or an upload cut short: keep nothing of it
        remove_stored(key)
        raise
    lines += last != b"\n"  # a last line without its newline
    job = ImportJob(manufacturer_id=tenant.id, requested_by_id=getattr(actor, "id", None),
                    filename=_safe_name(filename), file_key=key, rows_total=max(lines - 1, 0))
    db.session.add(job)
    db.session.flush()
    audit.log(actor, "units.import_queued", job, manufacturer_id=tenant.id, filename=job.filename,
              lines=job.rows_total)
    return job


#: Signatures of files that are not CSV, whatever their name (a ZIP or PDF renamed .csv, a polyglot).
BINARY_MAGIC = (b"PK\x03\x04", b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"\xd0\xcf\x11\xe0")


def _check_not_binary(first_block: bytes) -> None:
    if first_block.startswith(BINARY_MAGIC) or first_block.lstrip()[:1] == b"<":
        raise Invalid("This is not a CSV file (it looks like an archive, a document, a picture or a web page). "
                      "Export the units as CSV and upload that.")


def _check_text(decoder, block: bytes, *, final: bool = False) -> None:
    if b"\x00" in block:
        raise Invalid("The file contains binary data (NUL bytes); a CSV is plain text.")
    try:
        decoder.decode(block, final=final)
    except UnicodeDecodeError:
        raise Invalid(NOT_UTF8) from None


def _check_header(first_block: bytes) -> None:
    line = first_block.split(b"\n", 1)[0]
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(NOT_UTF8) from None
    read_header(iter(csv.reader([text])))


def _safe_name(filename: str) -> str:
    name = Path(filename or "").name
    return "".join(c for c in name if c.isalnum() or c in "._- ")[:200] or "units.csv"


def run_import_job(job_id: int) -> ImportJob | None:
    """Claim a queued (or abandoned) job and import its file; the job if this call ran it, else None.

    Commits as it goes: the claim, the progress (through a side connection, so the page can show it while
    the import's own transaction is open) and the outcome. The outcome is written in the transaction that
    lands the units and only if this run still holds the claim: a run presumed dead that comes back after
    another took over rolls its import back instead of finishing twice.
    """
    attempt = _claim(job_id)
    if attempt is None:
        return None
    job = db.session.get(ImportJob, job_id)
    tenant = db.session.get(Manufacturer, job.manufacturer_id)
    actor = job.requested_by or "import"
    # Named after the upload and the attempt: a run killed while writing its report leaves a file the run
    # that finishes the job removes.
    report_key = f"{Path(job.file_key).stem}-errors-{attempt}.csv"
    # SQLite has one writer: once the import has read the main database, a commit from elsewhere would
    # make its own writes fail, so there progress is recorded only while rows are being checked and staged.
    beats_while_landing = db.engine.dialect.name != "sqlite"
    read = 0

    def progress(stage: str, n: int) -> None:
        nonlocal read
        if stage == "staged":
            read += n
        elif stage != "landing" or not beats_while_landing:
            return
        record_progress(job_id, attempt, read)

    jobs = ImportJob.__table__
    try:
        with open_stored(job.file_key).open(encoding="utf-8-sig", newline="") as source, \
                new_stored(report_key).open("w", encoding="utf-8", newline="") as errors:
            report = import_units_csv(tenant, source, actor=actor, progress=progress, error_report=errors)
        now = utcnow()
        finished = db.session.execute(
            update(jobs).where(jobs.c.id == job_id, jobs.c.attempts == attempt, jobs.c.state == ImportState.RUNNING)
            .values(state=ImportState.DONE, rows_total=report.total, rows_done=report.total, added=report.added,
                    unchanged=report.unchanged, rejected=report.rejected_count, error_report_key=report_key,
                    heartbeat_at=now, finished_at=now))
        if finished.rowcount != 1:
            raise _Superseded
        db.session.commit()
        for earlier in range(1, attempt):
            remove_stored(f"{Path(job.file_key).stem}-errors-{earlier}.csv")
    except _Superseded:
        db.session.rollback()
        remove_stored(report_key)
        return None
    except Exception as exc:  # the job records any failure for the person waiting on it
        db.session.rollback()
        remove_stored(report_key)
        if isinstance(exc, DomainError):
            reason = str(exc)
        elif isinstance(exc, FileNotFoundError):
            reason = "The uploaded file is no longer there. Upload it again."
        else:
            current_app.logger.exception("import job %s failed", job_id)
            reason = "The import stopped on an unexpected error and nothing was imported. Try again later."
        db.session.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.attempts == attempt)
                           .values(state=ImportState.FAILED, error=reason[:300], finished_at=utcnow()))
        db.session.commit()
    return db.session.get(ImportJob, job_id)


class _Superseded(Exception):
    """Another run claimed the job while this one was presumed dead."""


def _claim(job_id: int) -> int | None:
    jobs = ImportJob.__table__
    now = utcnow()
    claimable = (jobs.c.state == ImportState.QUEUED) | (
        (jobs.c.state == ImportState.RUNNING) & (jobs.c.heartbeat_at < now - STALE_AFTER))
    claimed = db.session.execute(update(jobs).where(jobs.c.id == job_id, claimable).values(
        state=ImportState.RUNNING, attempts=jobs.c.attempts + 1, rows_done=0, error="", started_at=now,
        heartbeat_at=now))
    if claimed.rowcount != 1:
        db.session.rollback()
        return None
    attempt = db.session.scalar(select(jobs.c.attempts).where(jobs.c.id == job_id))
    db.session.commit()
    return attempt


def record_progress(job_id: int, attempt: int, rows_done: int) -> None:
    """Commit the job's progress and heartbeat on a connection of its own, outside the import's transaction."""
    jobs = ImportJob.__table__
    with db.engine.begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.attempts == attempt,
                                        jobs.c.state == ImportState.RUNNING)
                     .values(rows_done=rows_done, heartbeat_at=utcnow()))


def pending_import_jobs() -> list[int]:
    """Queued jobs, and running ones whose process stopped sending heartbeats (run again from the start)."""
    stale = utcnow() - STALE_AFTER
    return list(db.session.scalars(select(ImportJob.id).where(
        (ImportJob.state == ImportState.QUEUED)
        | ((ImportJob.state == ImportState.RUNNING) & (ImportJob.heartbeat_at < stale))).order_by(ImportJob.id)))


def run_in_background(app, job_id: int) -> None:
    """Development: run the job in a daemon thread of the web process (the worker does it in production)."""
    def work():
        with app.app_context():
            run_import_job(job_id)

    threading.Thread(target=work, name=f"import-job-{job_id}", daemon=True).start()


def rejected_rows(job: ImportJob, limit: int = 100) -> list[tuple[str, str]]:
    """The first rejected rows of a finished job, read from its error report."""
    if job.state is not ImportState.DONE or not job.error_report_key or not job.rejected:
        return []
    try:
        path = open_stored(job.error_report_key)
    except FileNotFoundError:
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return [(row[0], row[1]) for _, row in zip(range(limit), reader, strict=False) if len(row) == 2]
