"""/healthz says the process serves; /readyz says the database, its schema and a worker are all there."""
import subprocess
import sys
import textwrap
from datetime import timedelta

from sqlalchemy import text, update

from portal.config import ROOT
from portal.core.db import utcnow
from portal.extensions import db
from portal.ops.health import code_heads
from portal.ops.heartbeat import WorkerHeartbeat, beat
from tests.factories import build_world, login


def checks(client):
    response = client.get("/readyz")
    return response.status_code, response.get_json()["checks"]


def test_healthz_answers_without_cookies_even_for_a_signed_in_session(app, client):
    world = build_world(app)
    login(client, world.owner)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_probes_set_no_cookie_even_when_something_touched_the_session(app, client):
    from flask import session

    def touch():
        session["seen"] = True

    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.append(touch)
    try:
        assert "Set-Cookie" in client.get("/lookup").headers  # a page does save the touched session
        for probe in ("/healthz", "/readyz", "/metrics"):
            assert "Set-Cookie" not in client.get(probe).headers, probe
    finally:
        hooks.remove(touch)


def test_ready_when_migrated_and_a_worker_beat_recently(app, client):
    with app.app_context():
        beat("host-a:1")
    status, found = checks(client)
    assert status == 200, found
    assert found["database"]["ok"] and found["migrations"]["ok"] and found["worker"]["ok"]
    assert found["migrations"]["database"] == found["migrations"]["code"] == ",".join(code_heads())
    assert "Set-Cookie" not in client.get("/readyz").headers


def test_not_ready_without_any_worker_heartbeat(app, client):
    status, found = checks(client)
    assert status == 503 and not found["worker"]["ok"] and found["database"]["ok"]


def test_not_ready_when_the_newest_heartbeat_is_older_than_the_setting(app, client, monkeypatch):
    with app.app_context():
        beat("host-a:1")
        db.session.execute(update(WorkerHeartbeat).values(beat_at=utcnow() - timedelta(seconds=200)))
        db.session.commit()
    monkeypatch.setitem(app.config, "WORKER_HEARTBEAT_MAX_AGE", 120)
    status, found = checks(client)
    assert status == 503 and found["worker"]["age_seconds"] >= 200
    monkeypatch.setitem(app.config, "WORKER_HEARTBEAT_MAX_AGE", 300)
    assert checks(client)[0] == 200
    monkeypatch.setitem(app.config, "WORKER_HEARTBEAT_MAX_AGE", 0)  # 0: the worker is not part of readiness
    with app.app_context():
        db.session.execute(text("DELETE FROM worker_heartbeats"))
        db.session.commit()
    assert checks(client)[0] == 200


def test_not_ready_when_the_database_schema_is_behind_the_code(app, client):
    with app.app_context():
        beat("host-a:1")
        current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        set_versions(["0006"])
    try:
        status, found = checks(client)
    finally:
        with app.app_context():
            set_versions(current)
    assert status == 503
    assert found["migrations"] == {"ok": False, "database": "0006", "code": ",".join(code_heads())}


def set_versions(versions):
    db.session.execute(text("DELETE FROM alembic_version"))
    for version in versions:
        db.session.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})
    db.session.commit()


def test_the_worker_beats_on_every_loop_so_readiness_follows_it(app, client):
    assert checks(client)[0] == 503
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    status, found = checks(client)
    assert status == 200 and found["worker"]["age_seconds"] < 60


def test_probes_are_exempt_from_rate_limits(tmp_path):
    """A load balancer polling every second is never throttled, even under a strict default limit.

    Run in a child process: the limiter is one object per process, and a default limit must not leak
    into the other tests' app."""
    script = textwrap.dedent(f"""
        from portal import create_app
        app = create_app({{"SECRET_KEY": "x", "TESTING": True, "RATELIMIT_DEFAULT": "2 per minute",
                           "DATABASE_URL": "sqlite:///{tmp_path / 'limits.sqlite3'}"}})
        client = app.test_client()
        print([client.get(p).status_code for p in ["/healthz"] * 4 + ["/readyz"] * 4 ])
        print([client.get("/signin").status_code for _ in range(4)])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    probes, others = done.stdout.strip().splitlines()
    assert 429 not in eval(probes), probes
    assert eval(others) == [200, 200, 429, 429]  # the default limit is really in force
