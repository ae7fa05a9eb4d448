"""The public verdict and recall lookup endpoints over a PostgreSQL database at scale, against bare Flask.

    .venv/bin/python bench/lookup.py                                   # full: 10,000,000 units, 5,000,000 owners
    .venv/bin/python bench/lookup.py --units 200000 --owners 100000 --duration 5    # quick (about 1 min)
    .venv/bin/python bench/lookup.py --keep                            # keep the cluster folder for re-runs
    .venv/bin/python bench/lookup.py --reuse /tmp/portal-lookup-XXXX   # drive a kept folder again (no filling)
    .venv/bin/python bench/lookup.py --reuse /tmp/portal-lookup-XXXX --profile 500 --skip-wrk   # where time goes
    .venv/bin/python bench/lookup.py --reuse /tmp/portal-lookup-XXXX --scans 100000000   # with 100,000,000 scans present
    .venv/bin/python bench/lookup.py --reuse /tmp/portal-lookup-XXXX --empty-scans       # the same, scans emptied

A throwaway PostgreSQL 15 cluster (run as `postgres` when started as root, Unix socket only, fsync off as
in the other benches) gets the real schema through the Alembic migrations. Manufacturers (50), their
models (20 each) and signing keys go through the real services; lots, units, owners (verified accounts)
and their ownerships are generated inside PostgreSQL with INSERT ... SELECT FROM generate_series (foreign
key triggers off and the secondary indexes built afterwards, as a restore does), then VACUUM ANALYZE.
`--owners` of the units, spread evenly (every other one at the default sizes), have a current owner
each. `--labels` units get a signed label through `portal.authenticity.labels.issue_label`; their URIs
(`/01/<gtin>/21/<serial>?n=&k=&s=`) drive the verdict endpoint (JSON, records a scan); random existing
serials drive `/recalls/lookup?...&format=json`, then the same lookups as a browser's page; the same signed URIs then drive the resolver as a browser's
scan (the 307 to the verdict page) and as `?linkType=linkset`, each against the verdict's throughput.

gunicorn serves each app with `--workers` sync workers (default 4; the sync class like bench/verify.py,
the class deploy/gunicorn.conf.py also uses unless GUNICORN_THREADS > 1) on 127.0.0.1; `wrk` (a separate
process, `--connections`, 2 threads) drives each endpoint for `--duration` seconds: first the bare Flask
endpoint (bench/verify_hello.py), then the verdict, then the lookup, all in the same run. Prints per
endpoint requests/s, p50, p99, non-2xx responses and the ratio to bare, plus fill time, database and
table sizes, and the load average next to each figure.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from verify import check_lookup, check_resolver, page_lines, resolver_uris, serve_and_drive

from tests.pgcluster import _binary

PORT = 5497
MANUFACTURERS, MODELS_PER_MANUFACTURER, UNITS_PER_LOT = 50, 20, 1_000
#: Settings for a database of a few GB on a machine with RAM to spare; fsync off like tests/pgcluster.py.
PG_OPTIONS = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
              "-c shared_buffers=1GB -c maintenance_work_mem=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min")


class Cluster:
    """A PostgreSQL cluster in `root` (data/, sock/, server.log) that survives the run when asked to."""

    def __init__(self, root: Path):
        self.root, self.data, self.sock = root, root / "data", root / "sock"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = ["runuser", "-u", "postgres", "--", *args] if self._as_postgres else list(args)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> Cluster:
        self.root.chmod(0o755)
        if not self.data.exists():
            self.data.mkdir()
            self.sock.mkdir()
            if self._as_postgres:
                for p in (self.root, self.data, self.sock):
                    shutil.chown(p, "postgres", "postgres")
            self._run(_binary("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      "--locale=C.UTF-8")
        options = f"-p {PORT} -k {self.sock} -c listen_addresses='' {PG_OPTIONS}"
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-o", options,
                  "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.sock}&port={PORT}"

    def connect(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(host=str(self.sock), port=PORT, user="postgres", dbname=database, autocommit=True)

    def stop(self) -> None:
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


def timed(label: str, started: float) -> float:
    took = time.perf_counter() - started
    print(f"  {label}: {took:.1f} s", flush=True)
    return took


def fill(cluster: Cluster, folder: Path, units: int, owners: int, labels: int, lookups: int) -> dict:
    """Schema by migrations, then the rows; writes instance/config.py, verdict.txt, lookup.txt; returns facts."""
    import flask_migrate
    from cryptography.fernet import Fernet
    from sqlalchemy import select, text, tuple_

    from portal import create_app
    from portal.authenticity.keys import create_key
    from portal.authenticity.labels import issue_label, label_uri
    from portal.catalog.models import Unit
    from portal.catalog.services import add_model, create_tenant
    from portal.demo import gtin_for
    from portal.extensions import db

    with cluster.connect() as conn:
        conn.execute("CREATE DATABASE bench")
    config = {"SECRET_KEY": os.urandom(24).hex(), "KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
              "DATABASE_URL": cluster.url("bench"), "UPLOAD_FOLDER": str(folder / "uploads"),
              "MAIL_DELIVER_AFTER_REQUEST": False, "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False,
              "BASE_URL": "http://portal.bench"}
    app = create_app(config)
    phases, begun = {}, time.perf_counter()
    with app.app_context():
        started = time.perf_counter()
        flask_migrate.upgrade()
        phases["migrations"] = timed("schema (Alembic migrations)", started)

        started = time.perf_counter()
        models = []  # (k, model id, manufacturer id, gtin)
        for m in range(MANUFACTURERS):
            prefix = f"40{m + 10:05d}"  # 7-digit GS1 company prefixes 4000010...
            tenant = create_tenant(f"bench{m}", f"Bench Maker {m}", [prefix], actor="bench")
            for j in range(MODELS_PER_MANUFACTURER):
                model = add_model(tenant, gtin=gtin_for(prefix, j + 1), name=f"Bench model {m}-{j}",
                                  warranty_months=24, actor="bench")
                models.append((model, tenant))
            create_key(tenant, actor="bench")
        db.session.commit()
        models = [(k, model.id, tenant.id, model.gtin) for k, (model, tenant) in enumerate(models)]
        phases["manufacturers"] = timed(f"{MANUFACTURERS} manufacturers, {len(models):,} models and "
                                        f"{MANUFACTURERS} signing keys (services)", started)

        per_model = -(-units // len(models))
        lots_per_model = -(-per_model // UNITS_PER_LOT)
        conn = db.session.connection()
        conn.execute(text("SET session_replication_role = replica"))  # no FK triggers: rows are right by construction
        conn.execute(text("CREATE TEMP TABLE bench_models (k int PRIMARY KEY, model_id int, manufacturer_id int)"))
        conn.execute(text("INSERT INTO bench_models VALUES (:k, :model, :maker)"),
                     [{"k": k, "model": mid, "maker": tid} for k, mid, tid, _ in models])
        secondary = conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename IN ('lots', 'units', 'users', 'ownerships') "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)")).all()
        for name, _ in secondary:
            conn.execute(text(f'DROP INDEX "{name}"'))
        next_id = {t: conn.execute(text(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {t}")).scalar_one()
                   for t in ("lots", "units", "users", "ownerships")}

        started = time.perf_counter()
        conn.execute(text(
            "INSERT INTO lots (id, model_id, code, created_at) "
            "SELECT :first + m.k * :lpm + j, m.model_id, 'L' || lpad(j::text, 5, '0'), now() "
            "FROM bench_models m CROSS JOIN generate_series(0, :lpm - 1) AS g(j)"),
            {"first": next_id["lots"], "lpm": lots_per_model})
        # Unit n: model k = n / per_model (contiguous blocks, so both unique keys grow in order), serial S<n>.
        conn.execute(text(
            "INSERT INTO units (id, manufacturer_id, model_id, serial, lot_id, manufactured_on, status, created_at) "
            "SELECT :first + g.n, m.manufacturer_id, m.model_id, 'S' || lpad(g.n::text, 9, '0'), "
            "       :first_lot + m.k * :lpm + (g.n % :per) / :per_lot, date '2024-01-01' + (g.n % :per) / 20 % 700, "
            "       'active', now() "
            "FROM generate_series(0, :units - 1) AS g(n) JOIN bench_models m ON m.k = g.n / :per"),
            {"first": next_id["units"], "first_lot": next_id["lots"], "lpm": lots_per_model, "per": per_model,
             "per_lot": UNITS_PER_LOT, "units": units})
        phases["units"] = timed(f"{units:,} units in {len(models) * lots_per_model:,} lots (INSERT ... SELECT)",
                                started)

        started = time.perf_counter()
        conn.execute(text(
            "INSERT INTO users (id, email, name, password_hash, email_verified_at, is_platform_admin, created_at, "
            "failed_signins, auth_version) "
            "SELECT :first + n, 'owner' || lpad(n::text, 8, '0') || '@bench.test', 'Owner ' || n, '!', "
            "       now(), false, now(), 0, 1 FROM generate_series(0, :owners - 1) AS g(n)"),
            {"first": next_id["users"], "owners": owners})
        phases["owners"] = timed(f"{owners:,} owners (verified accounts)", started)

        started = time.perf_counter()
        # Exactly `owners` units, spread evenly (every other one at 10M/5M), each with its own current owner.
        conn.execute(text(
            "INSERT INTO ownerships (id, unit_id, owner_id, since, source, ended_reason, retailer, purchased_on) "
            "SELECT :first_own + n * :owners / :units, :first_unit + n, :first_user + n * :owners / :units, "
            "       now() - make_interval(days => (n % 700)::int), 'registration', '', '', "
            "       (now() - make_interval(days => (n % 700)::int))::date "
            "FROM generate_series(0::bigint, :units - 1) AS g(n) WHERE n * :owners % :units < :owners"),
            {"first_own": next_id["ownerships"], "first_unit": next_id["units"], "first_user": next_id["users"],
             "owners": owners, "units": units})
        phases["ownerships"] = timed(f"{owners:,} ownerships", started)

        started = time.perf_counter()
        for name, definition in secondary:
            conn.execute(text(definition))
        for table in ("lots", "units", "users", "ownerships"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT MAX(id) FROM {table}))"))
        conn.execute(text("SET session_replication_role = origin"))
        db.session.commit()
        phases["indexes"] = timed(f"{len(secondary)} secondary indexes built ({', '.join(n for n, _ in secondary)})",
                                  started)

        counts = {t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("manufacturers", "product_models", "lots", "units", "users", "ownerships")}
        assert counts["units"] >= units and counts["ownerships"] >= owners, counts

        started = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
            auto.execute(text("VACUUM ANALYZE"))  # what autovacuum does after a bulk load; sets hint bits too
        phases["vacuum"] = timed("VACUUM ANALYZE", started)

        started = time.perf_counter()
        rng = random.Random(7)
        picked = sorted(rng.sample(range(units), min(labels, units)))
        keys = [(models[n // per_model][1], f"S{n:09d}") for n in picked]
        uris = []
        for chunk in range(0, len(keys), 500):
            chosen = select(Unit).where(tuple_(Unit.model_id, Unit.serial).in_(keys[chunk:chunk + 500]))
            for unit in db.session.scalars(chosen):
                label = issue_label(unit, actor="bench")
                uri = urlsplit(label_uri(unit.model.gtin, unit.serial, label))
                uris.append(f"{uri.path}?{uri.query}")
            db.session.commit()
        rng.shuffle(uris)
        phases["labels"] = timed(f"{len(uris):,} signed labels (issue_label)", started)
        db.engine.dispose()

    gtins = {k: gtin for k, _, _, gtin in models}
    lookup = [f"/recalls/lookup?gtin={gtins[n // per_model]}&serial=S{n:09d}&format=json"
              for n in (rng.randrange(units) for _ in range(lookups))]
    fill_seconds = time.perf_counter() - begun
    print(f"  filled in {fill_seconds:.1f} s", flush=True)

    (instance := folder / "instance").mkdir(exist_ok=True)
    (instance / "config.py").write_text("".join(f"{k} = {v!r}\n" for k, v in config.items()))
    (folder / "verdict.txt").write_text("\n".join(uris) + "\n")
    (folder / "lookup.txt").write_text("\n".join(lookup) + "\n")
    facts = {"units": units, "owners": owners, "labels": len(uris), "lookups": len(lookup), "counts": counts,
             "fill_seconds": round(fill_seconds, 1), "phases": {k: round(v, 1) for k, v in phases.items()}}
    (folder / "fill.json").write_text(json.dumps(facts, indent=1))
    return facts


def sizes(cluster: Cluster) -> tuple[int, list[tuple[str, int, int]]]:
    with cluster.connect("bench") as conn:
        total = conn.execute("SELECT pg_database_size('bench')").fetchone()[0]
        tables = conn.execute(
            "SELECT relname, pg_table_size(oid), pg_indexes_size(oid) FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace ORDER BY pg_total_relation_size(oid) DESC LIMIT 6").fetchall()
    return total, tables


def fill_scans(cluster: Cluster, count: int, days: int = 90, chunk_units: int = 1_000_000) -> None:
    """`count` scans spread evenly over the units (as many to each) and at random times over the last `days`
    days (months partitioned first, as the worker would have made them), then ANALYZE: the table the verdict's
    scan insert and clone check meet. Written a range of units at a time, in unit order (so the
    `(unit_id, at)` index grows at its end instead of at random pages) with foreign-key triggers off, as the
    units were; progress is printed per range."""
    started = time.perf_counter()
    with cluster.connect("bench") as conn:
        partitioned = conn.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = 'scans'::regclass").fetchone()[0]
        if partitioned:
            conn.execute(f"DO $$ DECLARE m date; BEGIN FOR m IN SELECT generate_series(date_trunc('month', now() - "
                         f"interval '{days} days'), date_trunc('month', now()), interval '1 month')::date LOOP "
                         "IF to_regclass(format('scan_months.scans_y%s', to_char(m, 'YYYY\"m\"MM'))) IS NULL THEN "
                         "EXECUTE format('CREATE TABLE scan_months.scans_y%s PARTITION OF scans FOR VALUES FROM "
                         "(%L) TO (%L)', to_char(m, 'YYYY\"m\"MM'), to_char(m, 'YYYY-MM-DD 00:00:00+00'), "
                         "to_char(m + interval '1 month', 'YYYY-MM-DD 00:00:00+00')); END IF; END LOOP; END $$")
        units = conn.execute("SELECT max(id) FROM units").fetchone()[0]
        each, extra = divmod(count, units)  # the first `extra` units get one more
        conn.execute("SET session_replication_role = replica")  # no FK triggers: every unit_id exists
        for first in range(1, units + 1, chunk_units):
            last = min(first + chunk_units - 1, units)
            conn.execute("INSERT INTO scans (unit_id, at, channel, verdict, reason, client, by_owner) "
                         f"SELECT u, now() - random() * interval '{days} days', 'qr', 'genuine', '', "
                         "left(md5((u * 31 + k)::text), 16), false "
                         "FROM generate_series(%s::bigint, %s::bigint) AS u, "
                         "generate_series(1, %s + CASE WHEN u <= %s THEN 1 ELSE 0 END) AS k",
                         (first, last, each, extra))
            print(f"  scans for units {first:,}-{last:,} written ({time.perf_counter() - started:.0f} s)", flush=True)
        conn.execute("SET session_replication_role = origin")
        conn.execute("ANALYZE scans")
    print(f"  {count:,} scans over {days} days written in {time.perf_counter() - started:.0f} s "
          f"({'partitioned by month' if partitioned else 'one table'})", flush=True)


def count_scans(cluster: Cluster) -> int:
    with cluster.connect("bench") as conn:
        return conn.execute("SELECT count(*) FROM scans").fetchone()[0]


def get_json(port: int, uri: str) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{uri}", headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def profile(folder: Path, label: str, uris: list[str], n: int) -> None:
    """N requests in process (Flask test client) against the same database: plain time, SQL, then cProfile."""
    import cProfile
    import pstats
    import runpy

    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db

    config = {k: v for k, v in runpy.run_path(str(folder / "instance" / "config.py")).items() if k.isupper()}
    app = create_app(config)
    client, statements = app.test_client(), []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2].split()[0]))
    headers = {"Accept": "application/json"}
    for uri in uris[:50]:  # warm up caches and the connection pool
        client.get(uri, headers=headers)
    statements.clear()
    trips = RoundTrips()
    with trips:
        started, cpu = time.perf_counter(), time.thread_time()
        for i in range(n):
            client.get(uris[i % len(uris)], headers=headers)
        plain, cpu = (time.perf_counter() - started) / n, (time.thread_time() - cpu) / n
    print(f"\n{label}, in process: {plain * 1e3:.2f} ms per request, of which {cpu * 1e3:.2f} ms this thread's CPU "
          f"and {trips.waited / n * 1e3:.2f} ms waiting on the server in "
          f"{(trips.count + trips.kinds.get('BEGIN', 0)) / n:.1f} round trips "
          f"({', '.join(f'{v / n:.1f} {k}' for k, v in sorted(trips.kinds.items()))}); one SELECT 1 round trip "
          f"{round_trip(app) * 1e3:.3f} ms; load {os.getloadavg()[0]:.1f}")
    kinds = {k: statements.count(k) / n for k in sorted(set(statements))}
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [client.get(uris[i % len(uris)], headers=headers) for i in range(n)])
    print(f"{label}, in process (test client): {plain * 1e6:,.0f} µs per request; SQL per request: "
          + ", ".join(f"{v:.1f} {k}" for k, v in kinds.items()) + "; under cProfile:")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(r"portal/", 25)
    stats.sort_stats("tottime").print_stats(15)


class RoundTrips:
    """Counts psycopg's round trips by their first word (statements, BEGIN, COMMIT...) and the time spent waiting
    on the server, while active (psycopg's own methods wrapped; nothing else changes)."""

    def __enter__(self):
        import psycopg
        from psycopg import _connection_base, _cursor_base

        self.kinds, self.waited, self.count = {}, 0.0, 0
        self._saved = [(_connection_base.BaseConnection, "_exec_command"), (_cursor_base.BaseCursor, "_start_query"),
                       (psycopg.Connection, "wait")]
        self._originals = [getattr(owner, name) for owner, name in self._saved]
        exec_command, start_query, wait = self._originals

        def counted(kind: str) -> None:
            self.kinds[kind] = self.kinds.get(kind, 0) + 1

        def command(conn, sql, *args, **kwargs):
            counted((sql.decode() if isinstance(sql, bytes) else str(sql)).split()[0].upper())
            return exec_command(conn, sql, *args, **kwargs)

        def query(cursor, sql=None, *args, **kwargs):
            text = sql.decode() if isinstance(sql, bytes) else sql if isinstance(sql, str) else "?"
            counted(text.split()[0].upper() if text.strip() else "?")
            return start_query(cursor, sql, *args, **kwargs)

        def waiting(conn, gen, *args, **kwargs):
            started, talked = time.perf_counter(), []
            try:
                return wait(conn, _watched(gen, talked), *args, **kwargs)
            finally:
                self.waited += time.perf_counter() - started
                if talked:  # setting autocommit, say, is a wait that never reaches the server
                    self.count += 1
                    counted(f"wait:{getattr(gen, '__name__', '?')}")

        for (owner, name), replacement in zip(self._saved, (command, query, waiting), strict=True):
            setattr(owner, name, replacement)
        return self

    def __exit__(self, *exc):
        for (owner, name), original in zip(self._saved, self._originals, strict=True):
            setattr(owner, name, original)


def _watched(inner, talked: list):
    """psycopg's generator `inner`, noting in `talked` whether it waited on the server at all (it yields only
    to wait for the socket)."""
    try:
        request = next(inner)
    except StopIteration as stop:
        return stop.value
    talked.append(True)
    while True:
        try:
            ready = yield request
        except BaseException as err:  # noqa: BLE001 - handed on to psycopg's generator, as wait() would
            try:
                request = inner.throw(err)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                request = inner.send(ready)
            except StopIteration as stop:
                return stop.value


def round_trip(app) -> float:
    """Seconds of one `SELECT 1` on a connection of the app's pool (the floor of any round trip)."""
    from portal.extensions import db

    with app.app_context():
        conn = db.engine.raw_connection()
        try:
            cursor = conn.cursor()
            started = time.perf_counter()
            for _ in range(500):
                cursor.execute("SELECT 1")
                cursor.fetchone()
            return (time.perf_counter() - started) / 500
        finally:
            conn.close()


def line(label: str, r: dict, bare: dict | None) -> str:
    text = (f"{label}: {r['rps']:,.0f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
            f"{r['non2xx']:,} non-2xx of {r['requests']:,}")
    text += f" ({r['errors']})" if r["errors"] else ""
    text += f", ratio to bare {r['rps'] / bare['rps']:.2f}" if bare else ""
    return text + f"; worker CPU {r['cpu_ms']:.2f} ms/request; load average {r['load']:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=10_000_000)
    parser.add_argument("--owners", type=int, default=5_000_000)
    parser.add_argument("--labels", type=int, default=3_000, help="units given a signed label (verdict URIs)")
    parser.add_argument("--lookups", type=int, default=20_000, help="random serials for the recall lookup")
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also N verdicts and N lookups in process under cProfile, with SQL per request")
    parser.add_argument("--skip-wrk", action="store_true", help="with --profile: only the in-process profile")
    parser.add_argument("--keep", action="store_true", help="keep the cluster folder (data, logs) for --reuse")
    parser.add_argument("--reuse", type=Path, metavar="PATH", help="a folder kept by --keep: skip filling")
    parser.add_argument("--scans", type=int, default=0, metavar="N",
                        help="write N scans over the last 90 days before driving (added to any already there)")
    parser.add_argument("--empty-scans", action="store_true",
                        help="empty the scans table before driving (TRUNCATE: the figure to hold --scans against)")
    args = parser.parse_args()
    if not 0 < args.owners <= args.units:
        parser.error("need 0 < owners <= units")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    print(f"machine: {os.cpu_count()} CPUs, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB memory; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    folder = args.reuse.resolve() if args.reuse else Path(tempfile.mkdtemp(prefix="portal-lookup-"))
    cluster = Cluster(folder).start()
    try:
        if args.reuse:
            facts = json.loads((folder / "fill.json").read_text())
            print(f"reusing {folder}: {facts['units']:,} units, {facts['owners']:,} owners, "
                  f"filled in {facts['fill_seconds']} s when it was made")
        else:
            print(f"filling {args.units:,} units and {args.owners:,} owners into {folder}", flush=True)
            facts = fill(cluster, folder, args.units, args.owners, args.labels, args.lookups)
        if args.empty_scans:
            with cluster.connect("bench") as conn:
                conn.execute("TRUNCATE scans")
        if args.scans:
            fill_scans(cluster, args.scans)
        print(f"scans in the table before driving: {count_scans(cluster):,}", flush=True)
        total, tables = sizes(cluster)
        print(f"database size: {total / 2**30:.2f} GiB; largest tables (data + indexes): "
              + ", ".join(f"{n} {t / 2**20:,.0f} + {i / 2**20:,.0f} MiB" for n, t, i in tables), flush=True)

        (folder / "root.txt").write_text("/\n")
        verdict_uris = (folder / "verdict.txt").read_text().split()
        lookup_uris = (folder / "lookup.txt").read_text().split()
        redirects, linksets = resolver_uris(verdict_uris)
        (folder / "redirect.txt").write_text("\n".join(redirects) + "\n")
        (folder / "linkset.txt").write_text("\n".join(linksets) + "\n")
        pages = page_lines(lookup_uris)
        (folder / "page.txt").write_text("\n".join(pages) + "\n")
        portal_env = {"PORTAL_INSTANCE_PATH": str(folder / "instance")}
        scans = {}

        def verdict_is_genuine(port: int) -> None:
            status, body = get_json(port, verdict_uris[0])
            if status != 200 or '"verdict":"genuine"' not in body.replace(" ", ""):
                raise SystemExit(f"the first signed URI did not verify as genuine: HTTP {status} {body[:300]}")
            scans["before"] = count_scans(cluster)

        if args.profile:
            profile(folder, "verdict", verdict_uris, args.profile)
            profile(folder, "recall lookup", lookup_uris, args.profile)
        if args.skip_wrk:
            return
        print(f"driving each endpoint for {args.duration} s: wrk, {args.connections} connections, 2 threads; "
              f"gunicorn, {args.workers} sync workers", flush=True)
        drive_args = {"duration": args.duration, "workers": args.workers, "connections": args.connections}
        bare = serve_and_drive("verify_hello:app", {}, folder, folder / "root.txt",
                               extra=("--pythonpath", str(ROOT / "bench")), **drive_args)
        print(line("bare flask (GET /)", bare, None), flush=True)
        verdict = serve_and_drive("portal:create_app()", portal_env, folder, folder / "verdict.txt",
                                  check=verdict_is_genuine, **drive_args)
        recorded = count_scans(cluster) - scans["before"]
        print(line(f"verdict (JSON, records a scan; {len(verdict_uris):,} signed URIs)", verdict, bare), flush=True)
        lookup = serve_and_drive("portal:create_app()", portal_env, folder, folder / "lookup.txt",
                                 check=lambda port: check_lookup(port, lookup_uris[0], pages[0]), **drive_args)
        print(line(f"recall lookup (JSON; {len(lookup_uris):,} random serials)", lookup, bare), flush=True)
        page = serve_and_drive("portal:create_app()", portal_env, folder, folder / "page.txt",
                               check=lambda port: check_lookup(port, lookup_uris[0], pages[0]), **drive_args)
        print(line("recall lookup page (HTML, the same serials, as a phone's browser asks)", page, bare), flush=True)
        redirect = serve_and_drive("portal:create_app()", portal_env, folder, folder / "redirect.txt",
                                   check=lambda port: check_resolver(port, redirects[0], linksets[0]), **drive_args)
        print(line("resolver redirect (a browser's scan: 307 to the verdict page)", redirect, bare), flush=True)
        linkset = serve_and_drive("portal:create_app()", portal_env, folder, folder / "linkset.txt", **drive_args)
        print(line("resolver linkset (?linkType=linkset)", linkset, bare), flush=True)
        print(f"resolver against the JSON verdict (target >= 1.00): redirect {redirect['rps'] / verdict['rps']:.2f}, "
              f"linkset {linkset['rps'] / verdict['rps']:.2f}")
        print(f"recall lookup against the JSON verdict (target >= 1.00): JSON {lookup['rps'] / verdict['rps']:.2f}, "
              f"page {page['rps'] / verdict['rps']:.2f}")
        print(f"scans recorded during the verdict run: {recorded:,} for {verdict['requests']:,} requests wrk "
              f"completed ({'every request recorded a scan' if recorded >= verdict['requests'] else 'SOME MISSING'})")
        print(f"fill: {facts['fill_seconds']} s ({', '.join(f'{k} {v} s' for k, v in facts['phases'].items())})")
        print("summary: " + json.dumps({"units": facts["units"], "owners": facts["owners"],
                                         "db_gib": round(total / 2**30, 2), "fill_s": facts["fill_seconds"],
                                         **{name: {k: round(r[k], 2) if isinstance(r[k], float) else r[k]
                                                   for k in ("rps", "p50", "p99", "non2xx", "requests", "load")}
                                            for name, r in (("bare", bare), ("verdict", verdict),
                                                            ("lookup", lookup), ("page", page),
                                                            ("redirect", redirect),
                                                            ("linkset", linkset))}}))
    finally:
        cluster.stop()
        if args.keep or args.reuse:
            print(f"kept {folder} (run again with --reuse {folder}; delete it when done)")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
