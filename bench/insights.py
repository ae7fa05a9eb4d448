"""Every insight view of one tenant over a PostgreSQL database at scale: its query, and its whole console page.

    .venv/bin/python bench/insights.py                                  # full: 10,000,000 units (hours here)
    .venv/bin/python bench/insights.py --units 1000000 --owners 500000  # reduced (about 10 min)
    .venv/bin/python bench/insights.py --keep                           # keep the cluster folder for re-runs
    .venv/bin/python bench/insights.py --reuse /tmp/portal-insights-XXXX  # time a kept folder again

The database is bench/lookup.py's (its `fill`: 50 manufacturers of 20 models each, the units spread evenly,
every other unit with a current owner, through the migrations and INSERT ... SELECT), on its own port. On
top, also generated inside PostgreSQL: a till sale (a retail_selling event at one of six shops, 1 to 300
days after manufacture) for 7 units in 10, and a warranty claim for one owned unit in 50, filed up to 400
days after registration, half of them repaired (a claim entry) and the rest open. Then VACUUM ANALYZE.

The views are timed for the first manufacturer (a fiftieth of the units), as its staff would open them:
the query module alone, then the page through the Flask test client signed in as a tenant admin (filters,
rendering and the choices of the filter form included). Each is run `--repeat` times after one warm-up;
the median and the slowest are printed with the load average. The target is 2 s per view at 10,000,000 units.
"""
from __future__ import annotations

import argparse
import json
import os
import runpy
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import lookup
from lookup import Cluster, fill, timed

lookup.PORT = 5496  # its own cluster port: bench/lookup.py may run beside it
VIEWS = ("stock", "sales", "reach", "failures", "forecast")
SECRET = b"bench-insights-totp-secret"
#: Each shop's country (the API sale's optional `country`): shops 0-5 in FR, DE, DE, GB, CH, FR.
COUNTRIES = ("UPDATE unit_events SET country = (ARRAY['FR', 'DE', 'DE', 'GB', 'CH', 'FR'])[substr(place, 6)::int + 1] "
             "WHERE biz_step = 'retail_selling' AND place LIKE 'Shop _' AND country IS NULL")


def add_story(cluster: Cluster) -> dict:
    """Sales, claims and outcomes for the filled database, set-based; returns the row counts."""
    started = time.perf_counter()
    with cluster.connect("bench") as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "INSERT INTO unit_events (unit_id, biz_step, disposition, occurred_at, recorded_at, place, actor_label, "
            "note) SELECT u.id, 'retail_selling', 'retail_sold', "
            "       (u.manufactured_on + 1 + (u.id % 300)::int)::timestamp AT TIME ZONE 'UTC' + interval '12 hours', "
            "       now(), 'Shop ' || (u.id % 6), 'bench till', 'Sold by Shop ' || (u.id % 6) "
            "FROM units u WHERE u.id % 10 < 7")
        conn.execute(COUNTRIES)
        timed("sales (unit_events)", started)
        started = time.perf_counter()
        conn.execute(
            "INSERT INTO warranty_claims (number, manufacturer_id, unit_id, owner_id, category, description, "
            "preferred_remedy, goodwill, covered_at_filing, coverage_reason, state, photo_count, created_at, "
            "updated_at, version) "
            "SELECT 'WB' || o.unit_id, u.manufacturer_id, o.unit_id, o.owner_id, 'does_not_work', 'bench', 'repair', "
            "       false, true, '', CASE WHEN o.id % 100 = 0 THEN 'closed' ELSE 'submitted' END, 0, "
            "       LEAST(o.since + make_interval(days => (o.unit_id * 7 % 400)::int), now() - interval '1 day'), "
            "       now(), 1 "
            "FROM ownerships o JOIN units u ON u.id = o.unit_id WHERE o.id % 50 = 0")
        conn.execute(
            "INSERT INTO claim_entries (claim_id, at, author_role, kind, from_state, to_state, body) "
            "SELECT id, created_at, 'agent', 'state', 'in_repair', 'repaired', '' FROM warranty_claims "
            "WHERE state = 'closed'")
        conn.execute("SET session_replication_role = origin")
        timed("claims and outcomes", started)
        started = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        timed("VACUUM ANALYZE", started)
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("units", "ownerships", "unit_events", "warranty_claims", "claim_entries")}


def prepare(app, *, upgrade: bool) -> dict:
    """On a kept database: bring its schema to the head (and give the bench's sales their countries), then
    build the insights' summary in full and refresh it once more (nothing new: the cost of a worker round)."""
    import flask_migrate

    from portal.extensions import db
    from portal.insights.refresh import refresh

    out: dict = {}
    with app.app_context():
        if upgrade:
            started = time.perf_counter()
            flask_migrate.upgrade()
            db.session.execute(db.text(COUNTRIES))
            db.session.commit()
            out["upgrade_s"] = timed("schema to head, countries of the sales", started)
        for kind, full in (("full", True), ("incremental", False)):
            started = time.perf_counter()
            done = refresh(full=full)
            db.session.commit()
            out[f"refresh_{kind}_s"] = timed(f"summary: {kind} refresh, {done.units:,} units written", started)
        # A worker's round after 1,000 till sales of the first tenant's unsold units (each run adds them).
        db.session.execute(db.text(
            "INSERT INTO unit_events (unit_id, biz_step, disposition, occurred_at, recorded_at, place, country, "
            "actor_label, note) SELECT u.id, 'retail_selling', 'retail_sold', now(), now(), 'Shop 9', 'IT', "
            "'bench till', 'Sold by Shop 9' FROM units u JOIN manufacturers m ON m.id = u.manufacturer_id "
            "WHERE m.slug = 'bench0' AND NOT EXISTS (SELECT 1 FROM unit_events e WHERE e.unit_id = u.id "
            "AND e.biz_step = 'retail_selling') ORDER BY u.id LIMIT 1000"))
        db.session.commit()
        started = time.perf_counter()
        done = refresh()
        db.session.commit()
        out["refresh_after_1000_sales_s"] = timed(f"summary: incremental refresh after 1,000 sales, {done.units:,} "
                                                  "units written", started)
    return out


def measure(folder: Path, repeat: int, *, summary: bool = True, upgrade: bool = False) -> dict:
    from sqlalchemy import select

    from portal import create_app
    from portal.accounts.second_factor import code_for, enrol, step_at
    from portal.accounts.services import add_staff, find_user
    from portal.catalog.models import Manufacturer
    from portal.core.db import utcnow
    from portal.extensions import db
    from portal.insights import failures, forecast, reach, sales, stock
    from portal.insights.console import DEFAULT_COSTS

    config = {k: v for k, v in runpy.run_path(str(folder / "instance" / "config.py")).items() if k.isupper()}
    app = create_app({**config, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "INSIGHT_SUMMARY": summary})
    prepared = prepare(app, upgrade=upgrade) if summary else {}
    queries = {"stock": stock.stock_age, "sales": lambda t: sales.sell_through(t, months=24),
               "reach": reach.reach, "failures": failures.failure_curves,
               "forecast": lambda t: forecast.forecast(t, costs=DEFAULT_COSTS)}
    results: dict = {}
    with app.app_context():
        tenant = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "bench0"))
        email = "analyst@bench0.test"
        if tenant is None:
            raise SystemExit("the bench database has no tenant bench0")
        if find_user(email) is None:
            membership = add_staff(tenant, email, "analyst", password="bench-password-1", actor="bench")
            enrol(membership.user, SECRET, actor="bench")
            db.session.commit()
        for name, query in queries.items():
            query(tenant.id)  # warm-up: plans and caches
            runs = []
            for _ in range(repeat):
                started = time.perf_counter()
                query(tenant.id)
                runs.append(time.perf_counter() - started)
            results[name] = {"query_median_s": round(statistics.median(runs), 3), "query_max_s": round(max(runs), 3)}
            db.session.rollback()
        tenant_slug, tenant_id = tenant.slug, tenant.id
        units = db.session.execute(db.text("SELECT count(*) FROM units WHERE manufacturer_id = :t"),
                                   {"t": tenant_id}).scalar_one()

    client = app.test_client()
    response = client.post("/signin", data={"email": email, "password": "bench-password-1"})
    assert response.status_code == 302, response.status_code
    for step in (step_at(utcnow()), step_at(utcnow()) + 1):
        response = client.post("/signin/code", data={"code": code_for(SECRET, step)})
        if response.status_code == 302:
            break
    assert response.status_code == 302, "code step failed"
    for name in VIEWS:
        path = f"/console/{tenant_slug}/insights/{name}"
        assert client.get(path).status_code == 200, path  # warm-up
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            status = client.get(path).status_code
            runs.append(time.perf_counter() - started)
            assert status == 200, (path, status)
        results[name].update(page_median_s=round(statistics.median(runs), 3), page_max_s=round(max(runs), 3),
                             load=round(os.getloadavg()[0], 2))
        print(f"  {name}: query {results[name]['query_median_s']:.3f} s (max {results[name]['query_max_s']:.3f}), "
              f"page {results[name]['page_median_s']:.3f} s (max {results[name]['page_max_s']:.3f}); "
              f"load average {results[name]['load']:.2f}", flush=True)
    return {"tenant_units": units, "summary": summary, **prepared, "views": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=10_000_000)
    parser.add_argument("--owners", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the cluster folder (data, logs) for --reuse")
    parser.add_argument("--reuse", type=Path, metavar="PATH", help="a folder kept by --keep: skip filling")
    parser.add_argument("--tables", action="store_true", help="read the tables, not the summary (as before it)")
    parser.add_argument("--upgrade", action="store_true", help="with --reuse: migrate a folder kept by an older "
                        "version to the head first")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
          flush=True)
    folder = args.reuse.resolve() if args.reuse else Path(tempfile.mkdtemp(prefix="portal-insights-"))
    cluster = Cluster(folder).start()
    try:
        if args.reuse:
            counts = json.loads((folder / "story.json").read_text())
        else:
            print(f"filling {args.units:,} units and {args.owners:,} owners into {folder}", flush=True)
            started = time.perf_counter()
            fill(cluster, folder, args.units, args.owners, labels=0, lookups=0)
            counts = add_story(cluster)
            counts["fill_s"] = round(time.perf_counter() - started, 1)
            (folder / "story.json").write_text(json.dumps(counts))
        print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
        print(f"timing every view of one tenant, {args.repeat} runs each after a warm-up:", flush=True)
        found = measure(folder, args.repeat, summary=not args.tables, upgrade=args.upgrade)
        worst = max(v["page_max_s"] for v in found["views"].values())
        print(f"tenant units: {found['tenant_units']:,}; slowest page {worst:.3f} s "
              f"({'within' if worst <= 2 else 'OVER'} the 2 s target)")
        print("summary: " + json.dumps({"units": args.units if not args.reuse else counts.get("units"), **found}))
    finally:
        cluster.stop()
        if args.keep or args.reuse:
            print(f"kept {folder} (run again with --reuse {folder}; delete it when done)")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
