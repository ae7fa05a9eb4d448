"""Rate limits hold across gunicorn's worker processes; 429 and 503 answer in the format the request asked
for (`?format=json` included); production answers carry no server version."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import flask_migrate
import pytest

from portal import create_app
from portal.config import ROOT
from portal.extensions import db

GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
LOOKUP = "/recalls/lookup?gtin=04012345000016&serial=A-1&format=json"


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def serve(tmp_path: Path, storage: str):
    port = free_port()
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "m"),
           "PORTAL_RATELIMIT_PUBLIC": "'6 per minute'", "PORTAL_RATELIMIT_STORAGE_URI": f"'{storage}'"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "db", "upgrade"], env=env, cwd=ROOT,
                   check=True, capture_output=True)
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen([str(GUNICORN), "-c", "deploy/gunicorn.conf.py"], env=env, cwd=ROOT, stdout=log,
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if get(f"{base}/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    return server, base, log


@pytest.fixture
def two_workers(tmp_path):
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed beside this Python")
    server, base, log = serve(tmp_path, f"sqlite:///{tmp_path / 'ratelimits.sqlite3'}")
    yield base, server
    server.terminate()
    server.wait(20)
    log.close()


def test_a_limit_holds_across_two_worker_processes(two_workers):
    base, _ = two_workers
    answers = [get(f"{base}{LOOKUP}", {"Connection": "close"}) for _ in range(16)]
    statuses = [status for status, _, _ in answers]
    assert statuses.count(404) == 6 and statuses.count(429) == 10, statuses
    refused = next(body for status, _, body in answers if status == 429)
    assert json.loads(refused)["status"] == 429  # asked for JSON (?format=json), got JSON


def test_production_answers_carry_no_server_version(two_workers):
    base, _ = two_workers
    _, headers, _ = get(f"{base}/healthz")
    assert not re.search(r"\d", headers.get("Server", "")), headers.get("Server")


def test_make_serve_counts_limits_in_a_shared_store():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"PORTAL_RATELIMIT_STORAGE_URI=\$\$\{PORTAL_RATELIMIT_STORAGE_URI:-sqlite:///", makefile)
    assert "server_tokens off;" in (ROOT / "deploy" / "nginx.conf").read_text()


def test_format_json_gets_json_for_a_429(app, client):
    app.config["RATELIMIT_PUBLIC"] = "2 per minute"
    try:
        answers = [client.get(LOOKUP) for _ in range(3)]
    finally:
        app.config["RATELIMIT_PUBLIC"] = "10000 per minute"
    refused = answers[-1]
    assert refused.status_code == 429 and refused.is_json and refused.get_json()["status"] == 429


def test_format_json_gets_json_for_a_503(tmp_path):
    database = tmp_path / "down.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "outage", "DATABASE_URL": f"sqlite:///{database}",
                      "UPLOAD_FOLDER": str(tmp_path), "WTF_CSRF_ENABLED": False})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    database.unlink()
    database.mkdir()  # the database cannot be opened any more: every connection fails, as in an outage
    try:
        response = app.test_client().get(LOOKUP)
        assert response.status_code == 503 and response.headers["Retry-After"]
        assert response.mimetype == "application/problem+json" and response.get_json()["status"] == 503
        page = app.test_client().get("/recalls")
        assert page.status_code == 503 and page.mimetype == "text/html"
    finally:
        with app.app_context():
            db.engine.dispose()
