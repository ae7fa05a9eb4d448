"""Import N units from a CSV file through the real importer, next to a bare bulk insert of the same rows.

    .venv/bin/python bench/import_units.py --rows 1000000                 # SQLite in a temp folder
    .venv/bin/python bench/import_units.py --rows 1000000 --postgresql    # a throwaway PostgreSQL cluster

The file has lots, manufacture dates and a component column: half the rows are packs, the other half
bikes built around one pack each (parent_gtin, parent_serial), listed after their pack.

Prints, in one run on one database:
- the import (`import_units_csv` reading the file, checking every row, staging and landing lots, units,
  parent links and commissioning events, committed), its rows per second and the process's peak memory;
- the bare bulk insert of the same rows into a plain copy of the `units` table (same columns, unique
  constraints and indexes, no foreign keys): the CSV read with `csv.reader`, the GTIN mapped to its model,
  then `executemany` on SQLite or `COPY ... FROM STDIN` (psycopg `cursor.copy`) on PostgreSQL, committed.
  It checks nothing, resolves no lot or parent and writes no event: it is the floor;
- their ratio (target: the import within 2x of the bare insert);
- a re-import of the same file (which must add nothing) and a public lookup by GTIN + serial.
"""
from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()

    cluster = None
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    if args.postgresql:
        from tests.pgcluster import Cluster

        cluster = Cluster(port=5499).start()
        url = cluster.create_database("bench")
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    try:
        run(url, args.rows, tmp)
    finally:
        if cluster:
            cluster.stop()


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def write_csv(path: Path, rows: int, pack_gtin: str, bike_gtin: str) -> None:
    with path.open("w", newline="") as out:
        out.write("gtin,serial,lot,manufactured_on,parent_gtin,parent_serial,nfc_uid\n")
        for n in range(rows // 2):
            out.write(f"{pack_gtin},P{n:09d},CELL{n // 5000},2025-01-01,,,\n"
                      f"{bike_gtin},B{n:09d},W{n // 2000},2025-01-02,{pack_gtin},P{n:09d},\n")


def bare_insert(path: Path, tenant_id: int, models: dict[str, int]) -> float:
    """The same rows into `units_bare` with no checks: the floor an import can be measured against."""
    from portal.extensions import db

    now = datetime.now(UTC)
    postgresql = db.engine.dialect.name == "postgresql"
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS units_bare")
        conn.exec_driver_sql(
            f"CREATE TABLE units_bare (id {'SERIAL' if postgresql else 'INTEGER'} PRIMARY KEY,"
            " manufacturer_id INTEGER NOT NULL, model_id INTEGER NOT NULL, serial VARCHAR(20) NOT NULL,"
            " lot_id INTEGER, manufactured_on DATE, nfc_uid VARCHAR(14) UNIQUE, parent_id INTEGER, replaces_id INTEGER,"
            f" status VARCHAR(19) NOT NULL, created_at {'TIMESTAMP WITH TIME ZONE' if postgresql else 'DATETIME'} NOT NULL,"
            " UNIQUE (model_id, serial))")
        for column in ("lot_id", "parent_id"):
            conn.exec_driver_sql(f"CREATE INDEX ix_units_bare_{column} ON units_bare ({column})")
        conn.exec_driver_sql("CREATE INDEX ix_units_bare_manufacturer_id_id ON units_bare (manufacturer_id, id)")

    started = time.perf_counter()
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = ((tenant_id, models[gtin], serial, made or None, nfc or None, "active", now)
                for gtin, serial, _lot, made, _pg, _ps, nfc in reader)
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if postgresql:
                with cursor.copy("COPY units_bare (manufacturer_id, model_id, serial, manufactured_on, nfc_uid, status,"
                                 " created_at) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany("INSERT INTO units_bare (manufacturer_id, model_id, serial, manufactured_on, nfc_uid,"
                                   " status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   ((*row[:6], row[6].replace(tzinfo=None).isoformat(sep=" ")) for row in rows))
            raw.commit()
        finally:
            raw.close()
    return time.perf_counter() - started


def run(url: str, rows: int, tmp: Path) -> None:
    import flask_migrate
    from sqlalchemy import func, select

    from portal import create_app
    from portal.catalog.importer import import_units_csv
    from portal.catalog.models import Unit, UnitEvent
    from portal.catalog.services import add_model, create_tenant, find_unit
    from portal.demo import gtin_for
    from portal.extensions import db

    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "UPLOAD_FOLDER": str(tmp),
                      "MAIL_DELIVER_AFTER_REQUEST": False})
    with app.app_context():
        flask_migrate.upgrade()
        tenant = create_tenant("bench", "Bench Bikes", ["4099999"], actor="bench")
        bike = add_model(tenant, gtin=gtin_for("4099999", 1), name="Bike", warranty_months=24, actor="bench")
        pack = add_model(tenant, gtin=gtin_for("4099999", 2), name="Pack", warranty_months=24, actor="bench")
        db.session.commit()
        path = tmp / "units.csv"
        write_csv(path, rows, pack.gtin, bike.gtin)
        database = db.engine.dialect.name
        size = path.stat().st_size / 2**20
        print(f"{database}: {rows:,} rows, {size:.0f} MiB of CSV; peak memory before the import {peak_mib():.0f} MiB")

        started = time.perf_counter()
        with path.open(encoding="utf-8-sig", newline="") as handle:
            report = import_units_csv(tenant, handle, actor="bench")
        db.session.commit()
        first = time.perf_counter() - started
        peak = peak_mib()
        linked = db.session.scalar(select(func.count()).select_from(Unit).where(Unit.parent_id.is_not(None)))
        events = db.session.scalar(select(func.count()).select_from(UnitEvent))
        print(f"{database}: import     {first:6.1f} s = {report.added / first:9,.0f} rows/s: {report.added:,} units, "
              f"{linked:,} linked to their pack, {events:,} events; peak memory {peak:.0f} MiB")

        bare = bare_insert(path, tenant.id, {bike.gtin: bike.id, pack.gtin: pack.id})
        print(f"{database}: bare insert {bare:5.1f} s = {rows / bare:9,.0f} rows/s "
              f"({'COPY' if database == 'postgresql' else 'executemany'} into a plain copy of units)")
        print(f"{database}: ratio import / bare = {first / bare:.2f}x (target <= 2x)")

        started = time.perf_counter()
        with path.open(encoding="utf-8-sig", newline="") as handle:
            again = import_units_csv(tenant, handle, actor="bench")
        db.session.commit()
        second = time.perf_counter() - started
        print(f"{database}: re-import added {again.added}, found {again.unchanged:,} present, in {second:.1f} s; "
              f"peak memory {peak_mib():.0f} MiB")

        started, probes = time.perf_counter(), 2000
        for n in range(probes):
            find_unit(bike.gtin, f"B{(n * 7919) % (rows // 2):09d}")
        per = (time.perf_counter() - started) / probes
        print(f"{database}: lookup by GTIN + serial among {rows:,} units: {per * 1e6:.0f} µs each (ORM, in process)")


if __name__ == "__main__":
    main()
