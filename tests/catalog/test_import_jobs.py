"""Background imports: an uploaded CSV becomes a job that reports progress, ends with counts and an error report,
survives the death of its process, changes nothing the second time, and stays within its tenant."""
from __future__ import annotations

import csv
import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from portal.catalog import import_jobs, import_staging, importer
from portal.catalog.import_jobs import (
    ImportJob,
    ImportState,
    pending_import_jobs,
    run_import_job,
    start_import,
)
from portal.catalog.importer import COLUMNS, import_units_csv
from portal.catalog.models import Lot, Manufacturer, ProductModel, Unit, UnitEvent
from portal.catalog.services import add_model
from portal.core.db import utcnow
from portal.core.errors import Invalid
from portal.demo import gtin_for
from portal.extensions import db
from tests.factories import build_world, login

HEADER = ",".join(COLUMNS)
PACK_A, PACK_B = gtin_for("4012345", 90), gtin_for("5012345", 90)


def row(gtin: str, serial: str, lot: str = "", made: str = "", parent_gtin: str = "", parent_serial: str = "",
        nfc: str = "") -> str:
    return f"{gtin},{serial},{lot},{made},{parent_gtin},{parent_serial},{nfc}"


def bad_check(gtin: str) -> str:
    return gtin[:-1] + str((int(gtin[-1]) + 1) % 10)


def units_file(model: str, pack: str, nfc: str = "04000000000001") -> bytes:
    """Five good rows (packs and the watches built around them) and one broken row of each kind."""
    lines = [
        HEADER,
        row(pack, "PK-1", "CELL-A", "2025-01-01"),                          # 2
        row(model, "W-1", "L-A", "2025-01-02", pack, "PK-1"),              # 3 parent on an earlier line
        row(model, "W-2", "L-A", "2025-01-02", pack, "PK-2"),              # 4 parent on a later line
        row(pack, "PK-2", "CELL-A", "2025-01-01"),                          # 5
        row(bad_check(model), "X-1"),                                       # 6 bad GTIN
        row(model, "BAD SERIAL"),                                           # 7 bad serial
        row(model, "W-3", parent_gtin=pack, parent_serial="NOWHERE"),       # 8 unknown parent
        row(model, "W-1", "L-A", "2025-01-02", pack, "PK-1"),              # 9 line 3 again
        row(pack, "PK-3", nfc=nfc),                                         # 10
    ]
    return ("\n".join(lines) + "\n").encode()


EXPECTED_REJECTED = {6: "check digit", 7: "(space)", 8: "parent unit not found", 9: "repeats the unit of line 3"}


@pytest.fixture
def world(app):
    world = build_world(app)
    with app.app_context():
        for slug, gtin in (("acme", PACK_A), ("bravo", PACK_B)):
            add_model(tenant(slug), gtin=gtin, name="Pack", warranty_months=24, actor="test")
        db.session.commit()
    return world


@pytest.fixture
def in_worker(app, monkeypatch):
    """Uploads only queue their job; the test plays the worker."""
    monkeypatch.setitem(app.config, "IMPORT_JOBS_IN_PROCESS", False)


def tenant(slug: str) -> Manufacturer:
    return db.session.scalar(select(Manufacturer).where(Manufacturer.slug == slug))


def job_of(app, job_id: int) -> ImportJob:
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        db.session.expunge(job)
        return job


def queue(app, slug: str, data: bytes) -> int:
    with app.app_context():
        job = start_import(tenant(slug), io.BytesIO(data), filename="units.csv", actor="test")
        db.session.commit()
        return job.id


def work(app) -> list[int]:
    """One pass of the worker over import jobs, as `flask --app portal worker` does it."""
    with app.app_context():
        ran = []
        for job_id in pending_import_jobs():
            if run_import_job(job_id):
                ran.append(job_id)
        return ran


def upload(client, data: bytes, slug: str = "acme", name: str = "units.csv"):
    return client.post(f"/console/{slug}/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def units_of(app, slug: str) -> list[tuple]:
    """The tenant's units as the file describes them, with GTINs replaced by the model's name."""
    with app.app_context():
        t = tenant(slug)
        names = dict(db.session.execute(select(ProductModel.id, ProductModel.name)
                                        .where(ProductModel.manufacturer_id == t.id)).all())
        found = []
        for unit in db.session.scalars(select(Unit).where(Unit.manufacturer_id == t.id).order_by(Unit.serial)):
            parent = (names[unit.parent.model_id], unit.parent.serial) if unit.parent else None
            found.append((names[unit.model_id], unit.serial, unit.lot.code if unit.lot else None,
                          unit.manufactured_on, parent, unit.nfc_uid, [e.biz_step.value for e in unit.events]))
        return found


def table_counts(app) -> dict[str, int]:
    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in (Unit, UnitEvent, Lot)}


def test_uploaded_file_with_broken_rows_ends_done_with_counts_and_a_report_of_those_lines(app, world, in_worker):
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    response = upload(admin, units_file(world.gtin_a, PACK_A))
    assert response.status_code == 302
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    queued = job_of(app, job_id)
    assert (queued.state, queued.rows_total, queued.rows_done) == (ImportState.QUEUED, 9, 0)
    page = admin.get(f"/console/acme/imports/{job_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh"' in page and "<progress" in page

    assert work(app) == [job_id]

    job = job_of(app, job_id)
    assert job.state is ImportState.DONE
    assert (job.added, job.unchanged, job.rejected, job.rows_done, job.rows_total) == (5, 0, 4, 9, 9)
    assert job.finished_at is not None and job.error == ""
    report = admin.get(f"/console/acme/imports/{job_id}/errors.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    assert "attachment" in report.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(report.get_data(as_text=True))))
    assert lines[0] == ["line", "reason"]
    reasons = {int(line): reason for line, reason in lines[1:]}
    assert sorted(reasons) == sorted(EXPECTED_REJECTED)
    for line, needle in EXPECTED_REJECTED.items():
        assert needle in reasons[line], (line, reasons[line])
    page = admin.get(f"/console/acme/imports/{job_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh"' not in page
    assert "5 added" in page and "4 rejected" in page and "repeats the unit of line 3" in page
    listing = admin.get("/console/acme/import").get_data(as_text=True)
    assert f"/console/acme/imports/{job_id}" in listing
    assert [u[1] for u in units_of(app, "acme")] == ["ACME-0001", "ACME-0002", "ACME-0003",
                                                      "PK-1", "PK-2", "PK-3", "W-1", "W-2"]


def test_an_upload_is_imported_by_a_thread_of_the_web_process_in_development(app, world):
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    response = upload(admin, units_file(world.gtin_a, PACK_A))
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    deadline = time.monotonic() + 30
    while job_of(app, job_id).active and time.monotonic() < deadline:
        time.sleep(0.05)
    job = job_of(app, job_id)
    assert (job.state, job.added, job.rejected) == (ImportState.DONE, 5, 4)


def test_progress_is_committed_chunk_by_chunk_where_others_can_see_it(app, world, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 2)
    seen: list[tuple] = []
    record = import_jobs.record_progress

    def watched(job_id: int, attempt: int, rows_done: int) -> None:
        record(job_id, attempt, rows_done)
        with db.engine.connect() as other:  # not the import's connection: only committed data shows here
            seen.append(other.execute(select(ImportJob.state, ImportJob.rows_done, ImportJob.heartbeat_at)
                                      .where(ImportJob.id == job_id)).one())

    monkeypatch.setattr(import_jobs, "record_progress", watched)
    job_id = queue(app, "acme", units_file(world.gtin_a, PACK_A))
    with app.app_context():
        run_import_job(job_id)

    checked = [done for state, done, _ in seen if state == ImportState.RUNNING]
    assert checked[:5] == [2, 4, 6, 8, 9]
    assert checked == sorted(checked)
    beats = [beat for _, _, beat in seen]
    assert beats == sorted(beats)
    job = job_of(app, job_id)
    assert (job.state, job.rows_done, job.rows_total) == (ImportState.DONE, 9, 9)
    assert job.heartbeat_at >= beats[-1]


def test_a_job_whose_process_died_is_resumed_by_the_worker_and_ends_like_a_clean_run(app, world):
    clean = queue(app, "acme", units_file(world.gtin_a, PACK_A))
    assert work(app) == [clean]

    data = units_file(world.gtin_b, PACK_B, nfc="04000000000002")  # a tag is one unit's, whatever the tenant
    died = queue(app, "bravo", data)
    with app.app_context():
        # What a run that was killed may leave: the first rows landed, the job "running" with a heartbeat.
        first_rows = b"\n".join(data.splitlines()[:4]) + b"\n"
        import_units_csv(tenant("bravo"), first_rows, actor="test")
        db.session.execute(update(ImportJob).where(ImportJob.id == died).values(
            state=ImportState.RUNNING, attempts=1, rows_done=3, started_at=utcnow(), heartbeat_at=utcnow()))
        db.session.commit()
        assert died not in pending_import_jobs(), "a job with a fresh heartbeat is still alive"
        folder = Path(app.config["UPLOAD_FOLDER"])
        stem = Path(db.session.get(ImportJob, died).file_key).stem
        (folder / f"{stem}-errors-1.csv").write_text("line,reason\n2,half a report\n")  # the dead run's report
        db.session.execute(update(ImportJob).where(ImportJob.id == died).values(
            heartbeat_at=utcnow() - import_jobs.STALE_AFTER - timedelta(seconds=1)))
        db.session.commit()

    assert work(app) == [died]

    resumed, reference = job_of(app, died), job_of(app, clean)
    assert resumed.state is ImportState.DONE and resumed.attempts == 2
    assert (resumed.added, resumed.unchanged, resumed.rejected) == (3, 2, 4)
    assert sorted(p.name for p in folder.glob(f"{stem}-errors-*")) == [f"{stem}-errors-2.csv"]
    assert resumed.added + resumed.unchanged == reference.added
    same = {"Bravo Cargo": "Acme One", "Pack": "Pack", "04000000000002": "04000000000001", None: None}

    def as_acme(unit: tuple) -> tuple:
        model, serial, lot, made, parent, nfc, events = unit
        return (same[model], serial, lot, made, parent and (same[parent[0]], parent[1]), same[nfc], events)

    bravo = [as_acme(u) for u in units_of(app, "bravo") if u[1] != world.serial_b]
    acme = [u for u in units_of(app, "acme") if not u[1].startswith("ACME-")]
    assert bravo == acme
    assert all(u[-1] == ["commissioning"] for u in acme)


def test_running_the_same_file_again_adds_nothing(app, world):
    data = units_file(world.gtin_a, PACK_A)
    first = queue(app, "acme", data)
    work(app)
    before = table_counts(app)

    again = queue(app, "acme", data)
    assert work(app) == [again]

    job = job_of(app, again)
    assert (job.state, job.added, job.unchanged, job.rejected) == (ImportState.DONE, 0, 5, 4)
    assert table_counts(app) == before
    assert job_of(app, first).added == 5


def test_a_finished_or_live_job_is_not_run_again(app, world):
    job_id = queue(app, "acme", units_file(world.gtin_a, PACK_A))
    work(app)
    with app.app_context():
        assert run_import_job(job_id) is None
        assert pending_import_jobs() == []
    assert job_of(app, job_id).attempts == 1


def test_staff_of_another_tenant_get_404_for_the_job_page_and_its_error_report(app, world):
    job_id = queue(app, "acme", units_file(world.gtin_a, PACK_A))
    work(app)
    own = app.test_client()
    login(own, world.staff_a["admin"])
    assert own.get(f"/console/acme/imports/{job_id}").status_code == 200
    assert own.get(f"/console/acme/imports/{job_id}/errors.csv").status_code == 200
    other = app.test_client()
    login(other, world.staff_b["admin"])
    for path in (f"/console/acme/imports/{job_id}", f"/console/acme/imports/{job_id}/errors.csv",
                 f"/console/bravo/imports/{job_id}", f"/console/bravo/imports/{job_id}/errors.csv"):
        assert other.get(path).status_code == 404, path


@pytest.mark.parametrize("role", ["analyst", "claims_agent", "recall_manager"])
def test_only_tenant_admins_see_imports(app, world, role):
    job_id = queue(app, "acme", units_file(world.gtin_a, PACK_A))
    staff = app.test_client()
    login(staff, world.staff_a[role])
    assert staff.get(f"/console/acme/imports/{job_id}").status_code == 403
    assert staff.get(f"/console/acme/imports/{job_id}/errors.csv").status_code == 403


def test_an_upload_over_max_content_length_gets_413_and_queues_nothing(app, world, in_worker, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    big = (HEADER + "\n" + "\n".join(row(world.gtin_a, f"S-{n:05d}") for n in range(400))).encode()
    assert len(big) > 4096
    folder = Path(app.config["UPLOAD_FOLDER"])
    files_before = set(folder.iterdir()) if folder.exists() else set()

    assert upload(admin, big).status_code == 413

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0
    assert (set(folder.iterdir()) if folder.exists() else set()) == files_before


@pytest.mark.parametrize("data", [b"gtin,serial,colour\n", b"gtin,serial,serial\n", b"",
                                  "serial\xff,gtin\n".encode("latin-1")],
                         ids=["unknown-column", "column-twice", "empty", "not-utf8"])
def test_a_file_with_a_bad_header_is_refused_at_upload_and_not_kept(app, world, in_worker, data):
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    folder = Path(app.config["UPLOAD_FOLDER"])
    files_before = set(folder.glob("import-*"))
    response = upload(admin, data)
    assert response.status_code == 400
    assert "header must be" in response.get_data(as_text=True) or "UTF-8" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0
    assert set(folder.glob("import-*")) == files_before


def test_a_file_that_stops_being_utf8_is_refused_at_upload_and_nothing_is_kept(app, world):
    """The whole file is checked as it is saved (not only its header), so the refusal comes at once."""
    before = table_counts(app)
    files = set(Path(app.config["UPLOAD_FOLDER"]).iterdir())
    data = (HEADER + "\n" + row(world.gtin_a, "OK-1") + "\n" + row(world.gtin_a, "MÜLLER-1") + "\n").encode("latin-1")
    with pytest.raises(Invalid, match="UTF-8"):
        queue(app, "acme", data)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0
    assert table_counts(app) == before
    assert set(Path(app.config["UPLOAD_FOLDER"]).iterdir()) == files


def test_whole_file_rules_hold_across_chunks(app, world, monkeypatch):
    """Chunks are a memory bound, not a boundary: repeats, NFC tags and parents are matched across the file."""
    monkeypatch.setattr(importer, "CHUNK", 2)
    text = "\n".join([
        HEADER,
        row(world.gtin_a, "C-1", parent_gtin=PACK_A, parent_serial="P-9"),   # 2 parent eight lines down
        row(PACK_A, "P-1", nfc="04000000000009"),                            # 3
        row(world.gtin_a, "C-2"),                                            # 4
        row(world.gtin_a, "C-3"),                                            # 5
        row(world.gtin_a, "C-2"),                                            # 6 repeats line 4, another chunk
        row(PACK_A, "P-2", nfc="04000000000009"),                            # 7 tag of line 3
        row(world.gtin_a, "C-4", parent_gtin=PACK_A, parent_serial="P-5"),   # 8 cycle with line 9
        row(PACK_A, "P-5", parent_gtin=world.gtin_a, parent_serial="C-4"),   # 9
        row(PACK_A, "P-9"),                                                  # 10
    ]) + "\n"
    with app.app_context():
        errors = io.StringIO()
        report = import_units_csv(tenant("acme"), text, actor="test", error_report=errors)
        db.session.commit()
        assert (report.added, report.unchanged, report.rejected_count, report.rejected) == (5, 0, 4, [])
    lines = list(csv.reader(io.StringIO(errors.getvalue())))
    assert lines == [["line", "reason"], ["6", "repeats the unit of line 4"],
                     ["7", "NFC tag UID already given on line 3"], ["8", import_staging.CYCLE], ["9", import_staging.CYCLE]]
    child = units_of(app, "acme")
    assert ("Acme One", "C-1", None, None, ("Pack", "P-9"), None, ["commissioning"]) in child


def test_import_with_an_error_report_keeps_rejected_rows_out_of_memory(app, world):
    with app.app_context():
        errors = io.StringIO()
        report = import_units_csv(tenant("acme"), f"{HEADER}\n{row(world.gtin_a, 'BAD SERIAL')}\n", actor="test",
                                  error_report=errors)
        assert report.rejected == [] and report.rejected_count == 1 and report.total == 1
        assert errors.getvalue().splitlines()[1].startswith("2,")
        with pytest.raises(Invalid, match="header must be"):
            import_units_csv(tenant("acme"), "nothing,useful\n", actor="test")


def test_a_file_with_only_its_header_ends_done_with_nothing_to_do(app, world):
    before = table_counts(app)
    job_id = queue(app, "acme", (HEADER + "\n").encode())
    assert work(app) == [job_id]
    job = job_of(app, job_id)
    assert (job.state, job.rows_total, job.added, job.unchanged, job.rejected) == (ImportState.DONE, 0, 0, 0, 0)
    assert table_counts(app) == before


def test_a_rejected_row_leaves_no_lot_behind(app, world):
    text = "\n".join([HEADER,
                      row(world.gtin_a, "R-1", "LOT-OF-A-REJECT", parent_gtin=PACK_A, parent_serial="NOWHERE"),
                      row(world.gtin_a, "R-2", "LOT-OF-A-REPEAT"), row(world.gtin_a, "R-2", "LOT-OF-A-REPEAT-TOO"),
                      row(world.gtin_a, "R-3", "LOT-OF-A-GOOD-ROW")]) + "\n"
    with app.app_context():
        report = import_units_csv(tenant("acme"), text, actor="test")
        assert (report.added, [line for line, _ in report.rejected]) == (2, [2, 4])
        lots = set(db.session.scalars(select(Lot.code).where(Lot.code.like("LOT-OF-%"))))
    assert lots == {"LOT-OF-A-REPEAT", "LOT-OF-A-GOOD-ROW"}


def test_the_worker_command_runs_queued_imports(app, world):
    job_id = queue(app, "acme", units_file(world.gtin_a, PACK_A))
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert job_of(app, job_id).state is ImportState.DONE
