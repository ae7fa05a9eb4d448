"""While the database is down, pages answer 503 with Retry-After (never a stack trace), and once it is
back the same app serves again without a restart. Runs against a PostgreSQL cluster of its own, which the
test stops and starts, whichever database the rest of the suite uses."""
import os
import subprocess

import flask_migrate
import pytest

from portal import create_app
from portal.api.tokens import PREFIX_LENGTH
from portal.extensions import db
from tests.pgcluster import Cluster, _binary

UNIT = "/api/v1/units/04012345000016/ABC-1"
#: Well-formed, so the API looks it up in the database (and then refuses it).
TOKEN = "Bearer pvn_" + "a" * PREFIX_LENGTH + "_not-a-real-secret"
#: A cookie-less JSON verdict: answered on the lean path, on the connection it holds between answers.
VERDICT = "/01/09999999999994/21/X1"
JSON = {"Accept": "application/json"}


@pytest.fixture
def cluster():
    try:
        _binary("initdb")
    except RuntimeError as err:
        pytest.skip(str(err))
    cluster = Cluster(port=5700 + os.getpid() % 200).start()
    yield cluster
    try:
        pg_ctl(cluster, "status")
    except subprocess.CalledProcessError:  # left stopped by a failed test: start it so stop() can clean up
        start(cluster)
    cluster.stop()


def pg_ctl(cluster: Cluster, *args: str) -> None:
    cluster._run(_binary("pg_ctl"), "-D", str(cluster.data), "-w", *args)


def start(cluster: Cluster) -> None:
    pg_ctl(cluster, "-l", str(cluster.root / "server.log"), "-o",
           f"-p {cluster.port} -k {cluster.sock} -c listen_addresses='' -c fsync=off", "start")


def test_a_database_outage_answers_503_and_the_app_recovers_by_itself(cluster, tmp_path):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "outage-test", "KEY_ENCRYPTION_KEY": "zxdrC0Zt2Oa7J7wKfZC8m5Q4cS7Vv3I0b3Jx6p0n9dA=",
        "DATABASE_URL": cluster.create_database("outage"), "UPLOAD_FOLDER": str(tmp_path),
        "OUTAGE_RETRY_AFTER": 7, "WORKER_HEARTBEAT_MAX_AGE": 0, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False,
    })
    with app.app_context():
        flask_migrate.upgrade()
    client = app.test_client()
    try:
        assert client.get("/recalls").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get(VERDICT, headers=JSON).status_code == 404  # no maker has this GTIN

        pg_ctl(cluster, "-m", "fast", "stop")  # the pooled connection dies with the server

        page = client.get("/recalls")
        assert page.status_code == 503 and page.headers["Retry-After"] == "7"
        assert page.mimetype == "text/html" and "back in a moment" in page.get_data(as_text=True)
        assert "Traceback" not in page.get_data(as_text=True) and "psycopg" not in page.get_data(as_text=True)
        problem = client.get(UNIT, headers={"Authorization": TOKEN})
        assert problem.status_code == 503 and problem.headers["Retry-After"] == "7"
        assert problem.mimetype == "application/problem+json" and problem.get_json()["status"] == 503
        as_json = client.get("/recalls", headers={"Accept": "application/json"})
        assert as_json.status_code == 503 and as_json.get_json()["title"] == "Service unavailable"
        signin = client.post("/signin", data={"email": "a@example.test", "password": "whatever it is"})
        assert signin.status_code == 503
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["checks"]["database"]["ok"] is False
        assert client.get("/healthz").status_code == 200  # alive: restarting the process would not help
        lean = client.get(VERDICT, headers=JSON)
        assert lean.status_code == 503 and lean.headers["Retry-After"] == "7"

        start(cluster)

        assert client.get("/recalls").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get(UNIT, headers={"Authorization": TOKEN}).status_code == 401
        assert client.get(VERDICT, headers=JSON).status_code == 404

        pg_ctl(cluster, "-m", "fast", "stop")  # a restart between two answers: the held connection is dead
        start(cluster)
        assert client.get(VERDICT, headers=JSON).status_code == 404  # answered at once, on a fresh connection
    finally:
        with app.app_context():
            db.engine.dispose()
