"""Capture N ObjectEvents (one EPC each, on units that exist) and compare with the bare insert of the rows.

    .venv/bin/python bench/epcis_capture.py                      # 100,000 events, SQLite
    .venv/bin/python bench/epcis_capture.py --postgresql         # 100,000 events, PostgreSQL
    .venv/bin/python bench/epcis_capture.py --events 20000       # quick

N units land through the real CSV importer (data preparation). The document is N ObjectEvents (OBSERVE,
shipping, in_transit: every unit's status changes), each naming one unit as an SGTIN URN. Then:

* bare: one executemany INSERT of the N unit_events rows the capture records (their own transaction,
  timed with the commit, then deleted again), straight on the DBAPI cursor as the capture writes them
  (portal.catalog.epcis.bulk), so the floor is the database's and the driver's own;
* bare, all event rows: the same for every row the capture writes for the events (N captured events,
  N identifier rows, N unit events), without the status UPDATEs, timed the same way and removed again;
* capture: `capture_document(..., atomic=True)` of the document (already parsed JSON, as the REST view
  hands it over) with its commit: reading the events, one lookup of the units, the play, the writes.

Prints the three times and this process's CPU time for each, the ratios (the target is capture <= 3x
bare), the capture's statements by time, and the process's peak memory before and after the capture
(ru_maxrss), so that memory per event shows. On a shared machine the wall times swing with other load;
on SQLite, whose work is all in this process, the CPU ratios hold still.
"""
from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.recall_launch import StatementClock, bench_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
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


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    from portal.catalog.epcis.capture import capture_document
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
        encoded = json.dumps(body)
        started = time.perf_counter()
        body = json.loads(encoded)
        parse = time.perf_counter() - started
        del encoded
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
                      for n, e in enumerate(body["epcisBody"]["eventList"])]
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

        before = peak_mb()
        with StatementClock(db.engine) as clock:
            started, cpu = time.perf_counter(), time.process_time()
            report = capture_document(tenant, body, atomic=True, actor="bench", limit=None)
            committing = time.perf_counter()
            db.session.commit()
            took, commit = time.perf_counter() - started, time.perf_counter() - committing
            took_cpu = time.process_time() - cpu
        after = peak_mb()
        moved = db.session.scalar(select(func.count()).select_from(Unit).where(Unit.model_id == model.id,
                                                                               Unit.status == "in_transit"))
        assert report.accepted == report.unit_events == moved == count and not report.errors, \
            (report.accepted, report.unit_events, moved, report.errors[:3])

        print(f"{database}: json.loads of the document ({count:,} events): {parse:.2f} s (not counted below)")
        print(f"{database}: bare executemany INSERT of {count:,} unit_events rows: {bare:.2f} s")
        print(f"{database}: bare executemany INSERTs of every event row the capture writes ({count:,} captured "
              f"events, identifiers, unit events): {bare_all:.2f} s")
        print(f"{database}: capture_document: {report.accepted:,} events, {report.unit_events:,} unit events, "
              f"{moved:,} statuses: {took:.2f} s")
        print(f"{database}: capture / bare unit_events = {took / bare:.2f}x (target <= 3x); "
              f"capture / bare all event rows = {took / bare_all:.2f}x")
        print(f"{database}: this process's CPU: bare {bare_cpu:.2f} s, all event rows {bare_all_cpu:.2f} s, capture "
              f"{took_cpu:.2f} s: {took_cpu / bare_cpu:.2f}x and {took_cpu / bare_all_cpu:.2f}x"
              + (" (SQLite works in this process: the ratios least moved by other load)" if database == "sqlite"
                 else " (the server's own CPU is not in these)"))
        print(f"{database}: peak RSS {before:.0f} MB before the capture, {after:.0f} MB after "
              f"({(after - before) * 1024 * 1024 / count:.0f} bytes per event over the document already in memory)")
        print(f"{database}: capture's statements by time (those through SQLAlchemy; the bulk writes are in the rest):")
        for statement, seconds in sorted(clock.times.items(), key=lambda kv: -kv[1])[:6]:
            print(f"  {seconds:7.2f} s  {statement}")
        print(f"  {commit:7.2f} s  COMMIT")
        print(f"  {took - commit - sum(clock.times.values()):7.2f} s  (the rest: reading the events, the play, Python)")


if __name__ == "__main__":
    main()
