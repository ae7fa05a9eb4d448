"""Import N units from CSV through the real importer and print rows per second.

    .venv/bin/python bench/import_units.py --rows 200000                 # SQLite in a temp folder
    .venv/bin/python bench/import_units.py --rows 200000 --postgresql    # a throwaway PostgreSQL cluster

Prints the first import, a re-import of the same file (which must add nothing), and a public lookup
by GTIN + serial in the imported table.
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
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


def run(url: str, rows: int, tmp: Path) -> None:
    import flask_migrate

    from portal import create_app
    from portal.catalog.importer import import_units_csv
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
        lines = ["gtin,serial,lot,manufactured_on,parent_gtin,parent_serial,nfc_uid"]
        for n in range(rows // 2):
            lines.append(f"{pack.gtin},P{n:09d},CELL{n // 5000},2025-01-01,,,")
            lines.append(f"{bike.gtin},B{n:09d},W{n // 2000},2025-01-02,{pack.gtin},P{n:09d},")
        text = "\n".join(lines)
        database = db.engine.dialect.name

        started = time.perf_counter()
        report = import_units_csv(tenant, io.StringIO(text), actor="bench")
        db.session.commit()
        first = time.perf_counter() - started
        print(f"{database}: imported {report.added:,} units (half with a parent) in {first:.1f} s "
              f"= {report.added / first:,.0f} rows/s")

        started = time.perf_counter()
        again = import_units_csv(tenant, io.StringIO(text), actor="bench")
        db.session.commit()
        second = time.perf_counter() - started
        print(f"{database}: re-import added {again.added}, found {again.unchanged:,} present, in {second:.1f} s")

        started, probes = time.perf_counter(), 2000
        for n in range(0, probes):
            find_unit(bike.gtin, f"B{(n * 7919) % (rows // 2):09d}")
        per = (time.perf_counter() - started) / probes
        print(f"{database}: lookup by GTIN + serial among {rows:,} units: {per * 1e6:.0f} µs each (ORM, in process)")


if __name__ == "__main__":
    main()
