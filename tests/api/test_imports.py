"""CSV imports through the API: 202 and a job to follow, progress while it runs, counts and the per-row report
when done, nothing new the second time, 413 for a file over the limit, and only the tenant's own jobs."""
from __future__ import annotations

import csv
import io
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.catalog import import_jobs, importer
from portal.catalog.import_jobs import ImportJob, pending_import_jobs, run_import_job
from portal.catalog.importer import COLUMNS
from portal.catalog.models import Lot, Unit, UnitEvent
from portal.extensions import db
from tests.support.api import ApiClient, as_problem, make_token

HEADER = ",".join(COLUMNS)


def units_csv(world) -> bytes:
    """Four good rows (one names a parent further down) and three broken ones."""
    g = world.gtin_a
    return "\n".join([
        HEADER,
        f"{g},API-1,L9,2025-02-01,,,",         # 2
        f"{g},API-2,L9,2025-02-01,{g},API-4,",  # 3 parent on a later line
        f"{g},BAD SERIAL,,,,,",                 # 4 bad serial
        f"{g},API-4,L9,2025-02-01,,,",          # 5
        f"{g[:-1]}0,API-5,,,,,",                # 6 bad check digit
        f"{g},API-1,,,,,",                      # 7 line 2 again
        f"{world.gtin_a},{world.serials_a[0]},,,,,",  # 8 there already
    ]).encode() + b"\n"


@pytest.fixture
def in_worker(app, monkeypatch):
    """Uploads only queue their job; the test plays the worker."""
    monkeypatch.setitem(app.config, "IMPORT_JOBS_IN_PROCESS", False)


def post_csv(api: ApiClient, data: bytes, **headers):
    return api.client.post("/api/v1/imports", data=data, headers={
        "Authorization": f"Bearer {api.token}", "Content-Type": "text/csv", **headers})


def work(app) -> list[int]:
    with app.app_context():
        return [job_id for job_id in pending_import_jobs() if run_import_job(job_id)]


def table_counts(app) -> dict[str, int]:
    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                for m in (Unit, UnitEvent, Lot, ImportJob)}


def test_a_posted_csv_becomes_a_job_that_ends_with_counts_and_a_per_row_report(app, world, api, in_worker):
    response = post_csv(api, units_csv(world))

    assert response.status_code == 202, response.get_data(as_text=True)
    job = response.get_json()
    assert response.headers["Location"] == job["href"] == f"http://portal.test/api/v1/imports/{job['id']}"
    assert (job["state"], job["rows_total"], job["rows_done"], job["percent"]) == ("queued", 7, 0, 0)
    as_problem(api.get(f"/api/v1/imports/{job['id']}/errors"), 409, "conflict")

    assert work(app) == [job["id"]]

    done = api.get(f"/api/v1/imports/{job['id']}").get_json()
    assert (done["state"], done["rows_done"], done["rows_total"], done["percent"]) == ("done", 7, 7, 100)
    assert (done["added"], done["unchanged"], done["rejected"], done["error"]) == (3, 1, 3, None)
    report = api.get(done["errors_href"].removeprefix("http://portal.test"))
    assert report.status_code == 200 and report.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(report.get_data(as_text=True))))
    assert rows[0] == ["line", "reason"]
    reasons = {int(line): reason for line, reason in rows[1:]}
    assert sorted(reasons) == [4, 6, 7]
    assert "(space)" in reasons[4] and "check digit" in reasons[6] and "repeats the unit of line 2" in reasons[7]
    with app.app_context():
        child = db.session.scalar(select(Unit).where(Unit.serial == "API-2"))
        assert child.parent.serial == "API-4" and child.lot.code == "L9"


def test_a_csv_in_a_multipart_form_field_is_imported_too(app, world, api, in_worker):
    response = api.client.post("/api/v1/imports", data={"file": (io.BytesIO(units_csv(world)), "line-3.csv")},
                               headers={"Authorization": f"Bearer {api.token}"}, content_type="multipart/form-data")
    assert response.status_code == 202
    assert response.get_json()["filename"] == "line-3.csv"
    work(app)
    assert api.get(f"/api/v1/imports/{response.get_json()['id']}").get_json()["added"] == 3


def test_progress_is_visible_through_the_api_while_the_job_runs(app, world, api, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOBS_IN_PROCESS", False)
    monkeypatch.setattr(importer, "CHUNK", 2)
    seen: list[tuple] = []
    record = import_jobs.record_progress

    def watched(job_id: int, attempt: int, rows_done: int) -> None:
        record(job_id, attempt, rows_done)
        # Another thread is another caller: its request gets its own app context and database session.
        reader = threading.Thread(target=lambda: seen.append(api.get(f"/api/v1/imports/{job_id}").get_json()))
        reader.start()
        reader.join()

    monkeypatch.setattr(import_jobs, "record_progress", watched)
    job_id = post_csv(api, units_csv(world)).get_json()["id"]
    with app.app_context():
        run_import_job(job_id)

    running = [(body["rows_done"], body["rows_total"]) for body in seen if body["state"] == "running"]
    assert running[:4] == [(2, 7), (4, 7), (6, 7), (7, 7)]
    assert api.get(f"/api/v1/imports/{job_id}").get_json()["state"] == "done"


def test_importing_the_same_file_again_changes_nothing(app, world, api, in_worker):
    post_csv(api, units_csv(world))
    work(app)
    before = table_counts(app)

    again = post_csv(api, units_csv(world)).get_json()
    work(app)

    done = api.get(f"/api/v1/imports/{again['id']}").get_json()
    assert (done["state"], done["added"], done["unchanged"], done["rejected"]) == ("done", 0, 4, 3)
    assert table_counts(app) == {**before, "ImportJob": before["ImportJob"] + 1}


def test_the_job_runs_by_itself_in_a_thread_of_the_web_process_in_development(app, world, api):
    job_id = post_csv(api, units_csv(world)).get_json()["id"]
    deadline = time.monotonic() + 30
    while api.get(f"/api/v1/imports/{job_id}").get_json()["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.05)
    assert api.get(f"/api/v1/imports/{job_id}").get_json()["added"] == 3


def test_a_body_over_the_import_limit_is_a_413_problem_and_leaves_nothing(app, world, api, in_worker, monkeypatch):
    monkeypatch.setitem(app.config, "API_MAX_IMPORT_BYTES", 4096)
    big = (HEADER + "\n" + "\n".join(f"{world.gtin_a},S-{n:05d},,,,," for n in range(400))).encode()
    assert len(big) > 4096
    folder = Path(app.config["UPLOAD_FOLDER"])
    files_before = set(folder.iterdir()) if folder.exists() else set()
    before = table_counts(app)

    as_problem(post_csv(api, big), 413, "payload-too-large")
    as_problem(post_csv(api, big, **{"Idempotency-Key": "big-file-1"}), 413, "payload-too-large")

    assert table_counts(app) == before
    assert (set(folder.iterdir()) if folder.exists() else set()) == files_before


@pytest.mark.parametrize("data, needle", [(b"serial,gtin,colour\nA,1\n", "unknown: colour"),
                                          (b"\xff\xfe not utf-8", "UTF-8"), (b"", "missing")])
def test_a_file_that_is_not_a_units_csv_is_refused_at_once(app, world, api, in_worker, data, needle):
    before = table_counts(app)
    body = as_problem(post_csv(api, data), 422, "invalid")
    assert needle in body["detail"]
    assert table_counts(app) == before


def test_a_body_of_another_type_is_a_415_problem(world, api, in_worker):
    response = api.post("/api/v1/imports", json={"units": []})
    as_problem(response, 415, "unsupported-media-type")


def test_another_tenants_job_answers_404_and_a_token_without_units_write_403(app, world, api, client, in_worker):
    job_id = post_csv(api, units_csv(world)).get_json()["id"]
    work(app)
    bravo = ApiClient(client, make_token(app, world, ["units:write"], tenant="bravo"))
    as_problem(bravo.get(f"/api/v1/imports/{job_id}"), 404, "not-found")
    as_problem(bravo.get(f"/api/v1/imports/{job_id}/errors"), 404, "not-found")
    assert bravo.get("/api/v1/imports").get_json()["items"] == []
    reader = ApiClient(client, make_token(app, world, ["units:read", "events:write"]))
    as_problem(reader.get(f"/api/v1/imports/{job_id}"), 403, "insufficient-scope")
    as_problem(post_csv(reader, units_csv(world)), 403, "insufficient-scope")


def test_jobs_are_listed_oldest_first_with_a_cursor(app, world, api, in_worker):
    ids = [post_csv(api, units_csv(world)).get_json()["id"] for _ in range(3)]
    first = api.get("/api/v1/imports?limit=2").get_json()
    assert [j["id"] for j in first["items"]] == ids[:2] and first["next"]
    second = api.get(first["next"].removeprefix("http://portal.test")).get_json()
    assert [j["id"] for j in second["items"]] == ids[2:] and second["next"] is None


def test_a_job_number_past_any_id_answers_404(world, api):
    as_problem(api.get(f"/api/v1/imports/{2**63}"), 404, "not-found")


def test_a_retried_upload_with_its_idempotency_key_gets_the_same_job_and_location(app, world, api, in_worker):
    first = post_csv(api, units_csv(world), **{"Idempotency-Key": "till-upload-7"})
    again = post_csv(api, units_csv(world), **{"Idempotency-Key": "till-upload-7"})

    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Location"] == first.headers["Location"] == first.get_json()["href"]
    assert table_counts(app)["ImportJob"] == 1  # the retry queued nothing
