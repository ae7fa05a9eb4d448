"""Throughput of the public verdict endpoint (JSON) under gunicorn, against a bare Flask endpoint.

    .venv/bin/python bench/verify.py                       # 1,000,000 units, 2,000 signed labels, 10 s per run
    .venv/bin/python bench/verify.py --units 100000 --duration 5 --profile 2000

Builds a SQLite database in a temp folder through the real services (importer, keys, labels), serves
it with gunicorn (2 sync workers) and drives it with `wrk` (32 connections, 2 threads, cycling through
the signed URIs with `Accept: application/json`), after driving bench/verify_hello.py (bare Flask) and
bench/verify_minimal.py (only an Ed25519 check and a SQLite lookup, the floor for any real verdict) the
same way.
Every verdict request records a scan, so the `scans` table must grow by at least wrk's request count.
Then the resolver at the same codes, the same way: a browser's scan (the 307 to the verdict page, query
kept) and the linkset (`?linkType=linkset`), then the public recall lookup of the same units, as JSON and as
the page a phone's browser gets, each against the JSON verdict's throughput (target >= 1).
`--profile N` also runs N verdicts in-process through the Flask test client under cProfile.
"""
from __future__ import annotations

import argparse
import cProfile
import http.client
import itertools
import os
import pstats
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
JSON = {"Accept": "application/json"}

#: Each line of the URI file is a path, optionally followed by a tab and the Accept header to send with it
#: (application/json when none is given).
WRK_SCRIPT = """
local uris, accepts, i, threads = {}, {}, 0, 0
function setup(thread) thread:set("id", threads); threads = threads + 1 end
function init(args)
  for line in io.lines(args[1]) do
    local uri, accept = line:match("^([^\t]+)\t?(.*)$")
    uris[#uris + 1] = uri
    accepts[#accepts + 1] = (accept ~= "" and accept) or "application/json"
  end
  i = (id or 0) * math.floor(#uris / 2)
end
function request()
  i = i % #uris + 1
  return wrk.format("GET", uris[i], {["Accept"] = accepts[i]})
end
"""
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # what a phone's browser sends


def resolver_uris(uris: list[str]) -> tuple[list[str], list[str]]:
    """For signed code URIs: the browser's scan (307 to the verdict page, query kept) and the linkset."""
    redirects = [f"{uri}\t{HTML}" for uri in uris]
    linksets = [f"{uri.split('?')[0]}?linkType=linkset" for uri in uris]
    return redirects, linksets


def lookup_uris(uris: list[str]) -> list[str]:
    """For signed code URIs: the public recall lookup of the same units, as JSON (`format=json`)."""
    found = (re.match(r"/01/(\d{14})/21/([^?]+)", uri) for uri in uris)
    return [f"/recalls/lookup?gtin={m[1]}&serial={m[2]}&format=json" for m in found if m]


def page_lines(json_uris: list[str]) -> list[str]:
    """For recall lookup JSON URIs: the same lookups as a phone's browser asks for them (the page)."""
    return [f"{uri.replace('&format=json', '')}\t{HTML}" for uri in json_uris]


def check_lookup(port: int, json_uri: str, page_line: str) -> None:
    """The first lookup answers its recall status as JSON, and the same lookup as a page (asked a few times, so
    every worker has compiled the page's templates before wrk starts)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", json_uri, headers=JSON)
    answer = conn.getresponse()
    body = answer.read()
    if answer.status != 200 or b'"open_recalls"' not in body:
        raise SystemExit(f"the recall lookup did not answer JSON: {answer.status} {body[:200]!r}")
    uri, accept = page_line.split("\t")
    serial = uri.rsplit("serial=", 1)[1].encode()
    for _ in range(8):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # sync workers take turns per connection
        conn.request("GET", uri, headers={"Accept": accept})
        answer = conn.getresponse()
        body = answer.read()
        if answer.status != 200 or not answer.getheader("Content-Type", "").startswith("text/html") \
                or serial not in body:
            raise SystemExit(f"the recall lookup did not answer a page: {answer.status} {body[:200]!r}")


def check_resolver(port: int, redirect_line: str, linkset_uri: str) -> None:
    """The first redirect is a 307 to the verdict page with the signed query; the first linkset is one."""
    uri, accept = redirect_line.split("\t")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", uri, headers={"Accept": accept})
    answer = conn.getresponse()
    answer.read()
    location = answer.getheader("Location") or ""
    if answer.status != 307 or "/verdict/01/" not in location or "s=" not in location:
        raise SystemExit(f"the resolver did not redirect to the verdict: {answer.status} {location}")
    conn.request("GET", linkset_uri)
    answer = conn.getresponse()
    body = answer.read()
    if answer.status != 200 or answer.getheader("Content-Type") != "application/linkset+json" or b'"anchor"' not in body:
        raise SystemExit(f"the resolver did not answer a linkset: {answer.status} {body[:200]!r}")


def prepare(tmp: Path, units: int, labels: int) -> tuple[dict, list[str]]:
    """A database of `units` units (one model), `labels` of them with a signed label; returns config and URIs."""
    import flask_migrate
    from cryptography.fernet import Fernet
    from sqlalchemy import select

    from portal import create_app
    from portal.authenticity.keys import create_key
    from portal.authenticity.labels import issue_label, label_uri
    from portal.catalog.importer import import_units_csv
    from portal.catalog.models import Unit
    from portal.catalog.services import add_model, create_tenant
    from portal.demo import gtin_for
    from portal.extensions import db

    config = {"SECRET_KEY": os.urandom(24).hex(), "KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
              "DATABASE_URL": f"sqlite:///{tmp / 'verify.sqlite3'}", "UPLOAD_FOLDER": str(tmp / "uploads"),
              "MAIL_DELIVER_AFTER_REQUEST": False, "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False}
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
        tenant = create_tenant("bench", "Bench Bikes", ["4099999"], actor="bench")
        model = add_model(tenant, gtin=gtin_for("4099999", 1), name="Bike", warranty_months=24, actor="bench")
        db.session.commit()
        started = time.perf_counter()
        csv_lines = itertools.chain(["gtin,serial"], (f"{model.gtin},S{n:09d}" for n in range(units)))
        report = import_units_csv(tenant, csv_lines, actor="bench")
        db.session.commit()
        print(f"imported {report.added:,} units in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        create_key(tenant, actor="bench")
        picked = [f"S{n:09d}" for n in random.Random(7).sample(range(units), labels)]
        uris = []
        for chunk in range(0, len(picked), 500):
            chosen = select(Unit).where(Unit.model_id == model.id, Unit.serial.in_(picked[chunk:chunk + 500]))
            for unit in db.session.scalars(chosen):
                label = issue_label(unit, actor="bench")
                uri = urlsplit(label_uri(unit.model.gtin, unit.serial, label))
                uris.append(f"{uri.path}?{uri.query}")
        db.session.commit()
        print(f"issued {len(uris):,} signed labels in {time.perf_counter() - started:.1f} s")
        db.engine.dispose()
    return config, uris


def clean_env() -> dict:
    """The caller's environment without settings that would override the benchmark's instance config."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}


def cpu_seconds(pids: list[str]) -> float:
    """User + system CPU time of the given processes (the gunicorn workers), from /proc/<pid>/stat."""
    stats = [Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split() for pid in pids]
    return sum(int(f[11]) + int(f[12]) for f in stats) / os.sysconf("SC_CLK_TCK")


def serve_and_drive(app_spec: str, env: dict, tmp: Path, uris_file: Path, duration: int, check=None,
                    extra: tuple[str, ...] = (), workers: int = 2, connections: int = 32) -> dict:
    """gunicorn (sync workers, free port) until it answers, `check(port)`, then wrk; always stops gunicorn.
    bench/lookup.py drives its endpoints through this too."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port, log = s.getsockname()[1], tmp / f"{app_spec.split(':')[0]}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
         "--error-logfile", str(log), *extra, app_spec],
        cwd=ROOT, env={**clean_env(), **env}, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:  # until it answers (an HTTP error status counts)
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn {app_spec} did not start; {log}:\n{log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                break
            except OSError as err:
                if getattr(err, "code", None):
                    break
                time.sleep(0.2)
        if check:
            check(port)
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        cpu_before = cpu_seconds(children)
        script = tmp / "cycle.lua"
        script.write_text(WRK_SCRIPT)
        result = drive(port, uris_file, script, duration, connections)
        result["cpu_ms"] = (cpu_seconds(children) - cpu_before) * 1e3 / max(result["requests"], 1)
        return result
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def drive(port: int, uris_file: Path, script: Path, duration: int, connections: int = 32) -> dict:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{port}", "--", str(uris_file)],
                         capture_output=True, text=True, check=True).stdout
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}
    pct = {p: float(v) * scale[u] for p, v, u in re.findall(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)}
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {"rps": float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1)),
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "p50": pct["50"], "p99": pct["99"], "non2xx": int(bad.group(1)) if bad else 0,
            "errors": errors.group(0) if errors else "", "load": os.getloadavg()[0]}


def line(label: str, r: dict) -> str:
    text = f"{label}: {r['rps']:,.0f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms ({r['requests']:,} requests"
    text += f", {r['non2xx']:,} not 2xx" if r["non2xx"] else ""
    text += f"; {r['errors']}" if r["errors"] else ""
    return text + f"; worker CPU {r['cpu_ms']:.2f} ms/request; load average {r['load']:.1f})"


def count_scans(database: Path) -> int:
    with closing(sqlite3.connect(database)) as conn:
        return conn.execute("SELECT count(*) FROM scans").fetchone()[0]


def profile(config: dict, uris: list[str], n: int) -> None:
    """N verdicts through the Flask test client under cProfile; prints SQL statements per request and top costs."""
    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db

    app = create_app(config)
    client, statements = app.test_client(), []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2].split()[0]))
    for uri in uris[:50]:  # warm up caches and the connection pool
        client.get(uri, headers=JSON)
    statements.clear()
    profiler, started = cProfile.Profile(), time.perf_counter()
    profiler.runcall(lambda: [client.get(uris[i % len(uris)], headers=JSON) for i in range(n)])
    per = (time.perf_counter() - started) / n
    kinds = {k: statements.count(k) / n for k in sorted(set(statements))}
    print(f"\nin-process (test client, under cProfile): {per * 1e6:,.0f} µs per verdict; SQL per request: "
          + ", ".join(f"{v:.1f} {k}" for k, v in kinds.items()))
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(35).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--labels", type=int, default=2_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (database, logs)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    tmp = Path(tempfile.mkdtemp(prefix="portal-verify-"))
    try:
        config, uris = prepare(tmp, args.units, args.labels)
        (instance := tmp / "instance").mkdir()
        (instance / "config.py").write_text("".join(f"{k} = {v!r}\n" for k, v in config.items()))
        (tmp / "uris.txt").write_text("\n".join(uris) + "\n")
        (tmp / "root.txt").write_text("/\n")
        redirects, linksets = resolver_uris(uris)
        (tmp / "redirect.txt").write_text("\n".join(redirects) + "\n")
        (tmp / "linkset.txt").write_text("\n".join(linksets) + "\n")
        lookups = lookup_uris(uris)
        pages = page_lines(lookups)
        (tmp / "lookup.txt").write_text("\n".join(lookups) + "\n")
        (tmp / "page.txt").write_text("\n".join(pages) + "\n")
        database, scans = tmp / "verify.sqlite3", {}

        def first_is_genuine(port: int) -> None:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{uris[0]}", headers=JSON)
            try:
                sample = urllib.request.urlopen(request, timeout=10).read().decode()
            except urllib.error.HTTPError as err:
                sample = f"HTTP {err.code}; run with --keep and read {tmp / 'portal.log'}"
            if '"verdict":"genuine"' not in sample.replace(" ", ""):
                raise SystemExit(f"the first signed URI did not verify as genuine: {sample[:300]}")
            scans["before"] = count_scans(database)

        bare = serve_and_drive("verify_hello:app", {}, tmp, tmp / "root.txt", args.duration,
                               extra=("--pythonpath", str(ROOT / "bench")))
        minimal = serve_and_drive("verify_minimal:app", {"VERIFY_DB": str(database)}, tmp, tmp / "uris.txt",
                                  args.duration, extra=("--pythonpath", str(ROOT / "bench")))
        verdict = serve_and_drive("portal:create_app()", {"PORTAL_INSTANCE_PATH": str(instance)}, tmp,
                                  tmp / "uris.txt", args.duration, check=first_is_genuine)
        recorded = count_scans(database) - scans["before"]  # gunicorn has stopped: every request is in
        redirect = serve_and_drive("portal:create_app()", {"PORTAL_INSTANCE_PATH": str(instance)}, tmp,
                                   tmp / "redirect.txt", args.duration,
                                   check=lambda port: check_resolver(port, redirects[0], linksets[0]))
        linkset = serve_and_drive("portal:create_app()", {"PORTAL_INSTANCE_PATH": str(instance)}, tmp,
                                  tmp / "linkset.txt", args.duration)
        lookup = serve_and_drive("portal:create_app()", {"PORTAL_INSTANCE_PATH": str(instance)}, tmp,
                                 tmp / "lookup.txt", args.duration,
                                 check=lambda port: check_lookup(port, lookups[0], pages[0]))
        page = serve_and_drive("portal:create_app()", {"PORTAL_INSTANCE_PATH": str(instance)}, tmp,
                               tmp / "page.txt", args.duration,
                               check=lambda port: check_lookup(port, lookups[0], pages[0]))

        print(line("bare flask", bare))
        print(line("minimal verdict (Ed25519 check + SQLite lookup only)", minimal))
        print(line("verdict (JSON, records a scan)", verdict))
        print(line("resolver redirect (a browser's scan: 307 to the verdict page)", redirect))
        print(line("resolver linkset (?linkType=linkset)", linkset))
        print(line("recall lookup (JSON, the same units)", lookup))
        print(line("recall lookup page (HTML, as a phone's browser asks)", page))
        print(f"resolver against the JSON verdict (target >= 1.00): redirect {redirect['rps'] / verdict['rps']:.2f}, "
              f"linkset {linkset['rps'] / verdict['rps']:.2f}")
        print(f"recall lookup against the JSON verdict (target >= 1.00): JSON {lookup['rps'] / verdict['rps']:.2f}, "
              f"page {page['rps'] / verdict['rps']:.2f}")
        ratio = verdict["rps"] / bare["rps"]
        ok = ratio >= 0.60 and verdict["p99"] < 50
        print(f"ratio: {ratio:.2f} (target >= 0.60, p99 < 50 ms): {'met' if ok else 'NOT met'}")
        print(f"minimal handler against bare: {minimal['rps'] / bare['rps']:.2f}; "
              f"verdict against the minimal handler: {verdict['rps'] / minimal['rps']:.2f}")
        print(f"scans recorded during the verdict run: {recorded:,} for {verdict['requests']:,} requests wrk completed "
              f"({'every request recorded a scan' if recorded >= verdict['requests'] else 'SOME SCANS MISSING'})")
        if args.profile:
            profile(config, uris, args.profile)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
