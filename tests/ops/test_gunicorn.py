"""deploy/gunicorn.conf.py for real: several processes, JSON log lines with request ids, metrics added up
across processes, and a clean stop."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from portal.config import ROOT
from tests.support.db import free_port

GUNICORN = Path(sys.executable).with_name("gunicorn")


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.fixture
def served(tmp_path):
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed beside this Python")
    port = free_port()
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "GUNICORN_ACCESS_LOG": "-",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "PORTAL_WORKER_HEARTBEAT_MAX_AGE": "0"}
    env.pop("PORTAL_LOG_FORMAT", None)
    subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "db", "upgrade"], env=env, cwd=ROOT,
                   check=True, capture_output=True)
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen([str(GUNICORN), "-c", "deploy/gunicorn.conf.py"], env=env, cwd=ROOT,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if get(f"{base}/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    yield base, server, tmp_path / "gunicorn.log"
    if server.poll() is None:
        server.kill()
    log.close()


def test_gunicorn_serves_with_json_logs_and_metrics_summed_over_its_processes(served):
    base, server, log = served
    before = _count(get(f"{base}/metrics")[2].decode())
    for n in range(12):
        status, headers, _ = get(f"{base}/lookup", {"X-Request-ID": f"trace-{n:08d}"})
        assert status == 200 and headers["X-Request-ID"] == f"trace-{n:08d}"
    assert _count(get(f"{base}/metrics")[2].decode()) == before + 12  # whichever process served each
    assert list((log.parent / "metrics").glob("histogram_*.db"))  # kept in the shared folder, not in one process

    server.send_signal(signal.SIGINT)  # what Ctrl+C in `make serve` sends
    assert server.wait(timeout=30) == 0
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    portal = [x for x in lines if x["logger"] == "portal.access" and x["path"] == "/lookup"]
    access = [x for x in lines if x["logger"] == "gunicorn.access" and x["path"] == "/lookup"]
    assert [x["request_id"] for x in portal] == [f"trace-{n:08d}" for n in range(12)]
    assert {x["request_id"] for x in access} == {f"trace-{n:08d}" for n in range(12)}
    assert all(x["status"] == 200 and x["duration_ms"] >= 0 for x in portal + access)
    assert any(x["logger"] == "gunicorn.error" for x in lines)
    assert "127.0.0.1" not in json.dumps(access)  # no client addresses in the log


def _count(text: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith("provenance_http_request_duration_seconds_count{") and 'endpoint="public.lookup"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total
