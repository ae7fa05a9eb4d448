"""Capture N ObjectEvents (one EPC each, on units that exist) as a capture job, and compare with the bare insert.

    .venv/bin/python bench/epcis_capture.py                      # 100,000 events, SQLite
    .venv/bin/python bench/epcis_capture.py --postgresql         # 100,000 events, PostgreSQL
    .venv/bin/python bench/epcis_capture.py --events 20000       # quick
    EPCIS_BENCH_STAGES=1 .venv/bin/python bench/epcis_capture.py # and the CPU time of each step

N units land through the real CSV importer (data preparation). The document is N ObjectEvents (OBSERVE,
shipping, in_transit: every unit's status changes), each naming one unit as an SGTIN URN. Then:

* bare: one executemany INSERT of the N unit_events rows the capture records (their own transaction,
  timed with the commit, then deleted again), straight on the DBAPI cursor as the capture writes them
  (portal.catalog.epcis.bulk), so the floor is the database's and the driver's own;
* bare, all event rows: the same for every row the capture writes for the events (N captured events,
  N identifier rows, N unit events), without the status UPDATEs, timed the same way and removed again;
* capture: the document written to instance storage as POST /epcis/capture spools it, then, in a fresh
  process (so its memory is its own): the request's check of the file (`stream.scan`, one streaming pass),
  and the capture job as the worker runs it (`jobs.run_capture_job`: claim, events read one by one from
  the file, chunks of 2,000 decided and written, the job's outcome, the commit). GS1-Capture-Error-Behaviour
  is rollback: one transaction, the harder case for memory.

Prints the times and the CPU time of the process doing the work, the ratios (the target is capture <= 3x
bare), and the capture process's resident memory before and at its peak during the capture (sampled every
5 ms from /proc/self/statm), so memory per event shows; run two sizes to see that it stays flat. On a
shared machine the wall times swing with other load; on SQLite, whose work is all in the process, the CPU
ratios hold still.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.recall_launch import StatementClock, bench_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("URL", "FOLDER", "KEY", "SLUG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    cluster = None
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    if args.postgresql:
        from tests.pgcluster import Cluster

        cluster = Cluster(port=5497).start()
        url = cluster.create_database("bench")
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    try:
        run(url, args.events, tmp)
    finally:
        if cluster:
            cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 1024 / 1024


class PeakRss:
    """The process's resident memory, sampled every 5 ms while the block runs."""

    def __enter__(self):
        self.before = self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def child(url: str, folder: str, key: str, slug: str) -> None:
    """The capture of the spooled document, in a process of its own: the request's scan, then the job."""
    from sqlalchemy import select

    from portal.catalog.epcis.jobs import run_capture_job, start_job
    from portal.catalog.epcis.models import CaptureJob
    from portal.catalog.epcis.stream import scan
    from portal.catalog.models import Manufacturer
    from portal.extensions import db

    app = bench_app(url, Path(folder), EPCIS_JOBS_IN_PROCESS=False)
    with app.app_context():
        tenant = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == slug))
        db.session.commit()
        with PeakRss() as memory, StatementClock(db.engine) as clock:
            started, cpu = time.perf_counter(), time.process_time()
            found = scan(key, limit=None)
            scanned = time.perf_counter() - started
            job = start_job(tenant, behaviour="rollback", events=found.count, actor="bench", file_key=key,
                            source=found.prefix)
            db.session.commit()
            stages = timed_stages() if os.environ.get("EPCIS_BENCH_STAGES") else {}
            if os.environ.get("EPCIS_BENCH_PROFILE"):  # a cProfile of the job, written to that file
                import cProfile

                cProfile.runctx("run_capture_job(job.id)", globals(), locals(), os.environ["EPCIS_BENCH_PROFILE"])
            else:
                assert run_capture_job(job.id)
            took, took_cpu = time.perf_counter() - started, time.process_time() - cpu
        report = json.loads(db.session.get(CaptureJob, job.id).report)
        print(json.dumps({"took": took, "cpu": took_cpu, "scan": scanned, "before": memory.before,
                          "peak": memory.peak, "report": {k: v for k, v in report.items() if k != "notes"},
                          "statements": sorted(clock.times.items(), key=lambda kv: -kv[1])[:6],
                          "stages": sorted(stages.items(), key=lambda kv: -kv[1])}))


def timed_stages() -> dict[str, float]:
    """EPCIS_BENCH_STAGES=1: the process CPU time spent in each step of the capture, by wrapping the functions
    that do them (nested: writing includes its three inserts). Costs about 1 us per call wrapped."""
    import functools

    from portal.catalog.epcis import capture, landing, play, stream

    spent: dict[str, float] = {}

    def wrap(owner, name: str, label: str) -> None:
        real = getattr(owner, name)

        @functools.wraps(real)
        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return real(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - started

        setattr(owner, name, timed)

    wrap(stream, "read_event", "reading: checking each event read (document.read_event)")
    wrap(play._Play, "_load_units", "deciding: the units a chunk names (reading.named_units and keys)")
    wrap(play._Play, "_known_event_ids", "deciding: eventIDs captured before")
    wrap(play._Play, "run", "deciding: playing the events in memory")
    wrap(capture, "land", "writing: everything (landing.land)")
    wrap(landing, "_row", "writing: a captured event's row (its body as JSON)")
    wrap(landing, "_set_statuses", "writing: statuses")
    for name, label in (("INSERT_EVENTS", "captured events"), ("INSERT_EVENTS_WITH_ID", "captured events"),
                        ("INSERT_EPCS", "identifier rows"), ("INSERT_UNIT_EVENTS", "unit events")):
        wrap(getattr(landing, name), "run", f"writing: executemany of the {label}")
    return spent


def prepare(count: int, prefix: str = "4088888"):
    from portal.catalog.importer import import_units_csv
    from portal.catalog.services import add_model, create_tenant
    from portal.demo import gtin_for
    from portal.extensions import db

    tenant = create_tenant("benchepcis", "Bench Watches", [prefix], actor="bench")
    model = add_model(tenant, gtin=gtin_for(prefix, 1), name="Bench Watch", warranty_months=24, actor="bench")
    db.session.commit()
    started = time.perf_counter()
    csv_text = "gtin,serial,lot,manufactured_on\n" + "".join(
        f"{model.gtin},S{n:09d},L{n // 10_000},2025-01-01\n" for n in range(count))
    report = import_units_csv(tenant, io.StringIO(csv_text), actor="bench")
    db.session.commit()
    print(f"  prepared {report.added:,} units (CSV importer) in {time.perf_counter() - started:.1f} s")
    return tenant, model


def document(model_gtin: str, count: int, start: datetime) -> dict:
    """After the units' commissioning (an event older than a unit's latest would leave its status alone)."""
    prefix, item = model_gtin[1:8], model_gtin[0] + model_gtin[8:13]
    events = [{"type": "ObjectEvent", "eventID": f"urn:uuid:00000000-0000-4000-8000-{n:012d}", "action": "OBSERVE",
               "eventTime": (start + timedelta(milliseconds=10 * n)).isoformat().replace("+00:00", "Z"),
               "eventTimeZoneOffset": "+00:00", "epcList": [f"urn:epc:id:sgtin:{prefix}.{item}.S{n:09d}"],
               "bizStep": "shipping", "disposition": "in_transit",
               "readPoint": {"id": "urn:epc:id:sgln:4088888.00001.0"}} for n in range(count)]
    return {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
            "schemaVersion": "2.0", "creationDate": "2026-01-06T00:00:00Z", "epcisBody": {"eventList": events}}


def run(url: str, count: int, tmp: Path) -> None:
    from sqlalchemy import delete, func, select, text

    from portal.catalog.epcis.bulk import insert_into
    from portal.catalog.epcis.landing import EVENT_COLUMNS, INSERT_EPCS, INSERT_UNIT_EVENTS
    from portal.catalog.epcis.models import CapturedEpc, CapturedEvent
    from portal.catalog.models import Unit, UnitEvent
    from portal.core.db import utcnow
    from portal.extensions import db

    app = bench_app(url, tmp, EPCIS_CAPTURE_LIMIT=count)
    with app.app_context():
        database = db.engine.dialect.name
        print(f"{database}: {count:,} ObjectEvents, one EPC each, on existing units")
        tenant, model = prepare(count)
        if database == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        unit_ids = list(db.session.scalars(select(Unit.id).where(Unit.model_id == model.id).order_by(Unit.serial)))
        when = utcnow() + timedelta(minutes=1)  # after the import commissioned the units, within the grace
        body = document(model.gtin, count, when)
        key = "epcis-bench.json"
        (tmp / key).write_text(json.dumps(body))  # what POST /epcis/capture spools
        events = body["epcisBody"]["eventList"]
        del body
        now = utcnow()
        note = "EPCIS ObjectEvent urn:uuid:00000000-0000-4000-8000-000000000000"
        unit_rows = [{"unit_id": uid, "biz_step": "shipping", "disposition": "in_transit",
                      "occurred_at": when + timedelta(milliseconds=10 * n), "recorded_at": now, "place": "urn:epc:id:sgln:x",
                      "note": note, "actor_id": None, "actor_label": "bench"} for n, uid in enumerate(unit_ids)]

        started, cpu = time.perf_counter(), time.process_time()
        INSERT_UNIT_EVENTS.run([dict(r, epcis_event_id=None) for r in unit_rows])
        db.session.commit()
        bare, bare_cpu = time.perf_counter() - started, time.process_time() - cpu
        db.session.execute(delete(UnitEvent).where(UnitEvent.note == note))
        db.session.commit()

        event_rows = [{"manufacturer_id": tenant.id, "event_id": f"bare-{n}", "event_type": "ObjectEvent",
                       "action": "OBSERVE", "biz_step": "shipping", "disposition": "in_transit", "biz_location": "",
                       "event_time": when + timedelta(milliseconds=10 * n), "captured_at": now, "units": 1,
                       "body": json.dumps(e, separators=(",", ":")), "capture_job_id": None,
                       "declared_at": None, "declaration": None}
                      for n, e in enumerate(events)]
        first = (db.session.scalar(select(func.max(CapturedEvent.id))) or 0) + 1  # ids given: no read-back
        insert_events = insert_into(CapturedEvent.__table__, ["id", *EVENT_COLUMNS])
        started, cpu = time.perf_counter(), time.process_time()
        insert_events.run([dict(r, id=first + n) for n, r in enumerate(event_rows)])
        INSERT_EPCS.run([{"event_pk": first + n, "role": "epc", "epc": f"01/{model.gtin}/21/S{n:09d}"}
                         for n in range(count)])
        INSERT_UNIT_EVENTS.run([dict(r, epcis_event_id=first + n) for n, r in enumerate(unit_rows)])
        db.session.commit()
        bare_all, bare_all_cpu = time.perf_counter() - started, time.process_time() - cpu
        db.session.execute(delete(UnitEvent).where(UnitEvent.note == note))
        db.session.execute(delete(CapturedEpc).where(CapturedEpc.event_pk.in_(
            select(CapturedEvent.id).where(CapturedEvent.event_id.startswith("bare-")))))
        db.session.execute(delete(CapturedEvent).where(CapturedEvent.event_id.startswith("bare-")))
        db.session.commit()
        del event_rows, unit_rows
        if database == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in ("unit_events", "epcis_events", "epcis_event_epcs", "units"):
                    conn.execute(text(f"VACUUM ANALYZE {table}"))

        del events
        db.session.commit()
        size_mb = (tmp / key).stat().st_size / 1024 / 1024
        answer = subprocess.run([sys.executable, __file__, "--child", url, str(tmp), key, tenant.slug],
                                check=True, stdout=subprocess.PIPE, text=True).stdout
        result = json.loads(answer.strip().splitlines()[-1])
        took, took_cpu, report = result["took"], result["cpu"], result["report"]
        moved = db.session.scalar(select(func.count()).select_from(Unit).where(Unit.model_id == model.id,
                                                                               Unit.status == "in_transit"))
        assert report["captured"] == moved == count and not report["errors"], (report, moved)
        grown = result["peak"] - result["before"]

        print(f"{database}: bare executemany INSERT of {count:,} unit_events rows: {bare:.2f} s")
        print(f"{database}: bare executemany INSERTs of every event row the capture writes ({count:,} captured "
              f"events, identifiers, unit events): {bare_all:.2f} s")
        print(f"{database}: capture job from the stored document: {report['captured']:,} events, "
              f"{moved:,} statuses: {took:.2f} s (of which the request's scan of the file {result['scan']:.2f} s)")
        print(f"{database}: capture / bare unit_events = {took / bare:.2f}x (target <= 3x); "
              f"capture / bare all event rows = {took / bare_all:.2f}x")
        print(f"{database}: CPU of the process doing the work: bare {bare_cpu:.2f} s, all event rows {bare_all_cpu:.2f} s, "
              f"capture {took_cpu:.2f} s: {took_cpu / bare_cpu:.2f}x and {took_cpu / bare_all_cpu:.2f}x"
              + (" (SQLite works in this process: the ratios least moved by other load)" if database == "sqlite"
                 else " (the server's own CPU is not in these)"))
        print(f"{database}: capture process RSS {result['before']:.0f} MB before, peak {result['peak']:.0f} MB during "
              f"(+{grown:.1f} MB, {grown * 1024 * 1024 / count:.0f} bytes per event; the document is {size_mb:.0f} MB)")
        print(f"{database}: capture's statements by time (those through SQLAlchemy; the bulk writes are not in these):")
        for statement, seconds in result["statements"]:
            print(f"  {seconds:7.2f} s  {statement}")
        if result["stages"]:
            print(f"{database}: CPU by step of the capture job (EPCIS_BENCH_STAGES; the scan is apart, above):")
            for stage, seconds in result["stages"]:
                print(f"  {seconds:7.2f} s  {stage}")


if __name__ == "__main__":
    main()
