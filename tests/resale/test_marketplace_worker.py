"""Webhooks through the outbox as production runs it: `flask --app portal worker` processes POSTing to a real
HTTP server, one of them SIGKILLed in the middle of a delivery.

The outbox delivers at least once: the delivery whose answer the killed worker never recorded goes again, with
the same event id, signature scheme and body. A receiver that keeps the event ids it has processed (as
docs/resale.md asks of marketplaces) therefore processes every event exactly once, and none is lost."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.accounts.services import find_user
from portal.extensions import db
from portal.notifications.models import DeliveryState, Notification
from portal.ownership import services as ownership_services
from portal.ownership.models import Ownership
from portal.resale import marketplace
from portal.resale.queries import find_proof
from tests.support.resale import build_sale, make_proof

ROOT = Path(__file__).resolve().parents[2]
WAIT = 40.0
KILL_AT = 7  # the worker is killed while the 7th delivery waits for its answer


class Marketplace:
    """The receiving end: checks each delivery's signature, keeps every delivery it got, and processes an event
    id once (its idempotency). On the KILL_AT-th delivery it SIGKILLs the worker before answering."""

    def __init__(self, secrets: dict[int, str]):
        self.secrets = secrets
        self.deliveries: list[str] = []
        self.processed: Counter = Counter()
        self.bad_signatures = 0
        self.kill_pid: int | None = None
        self.lock = threading.Lock()

    def handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event = json.loads(body)
                secret = outer.secrets[event["subscription"]]
                mac = hmac.new(secret.encode(), f"{self.headers['Provenance-Timestamp']}.".encode() + body,
                               hashlib.sha256).hexdigest()
                with outer.lock:
                    if not hmac.compare_digest(f"v1={mac}", self.headers["Provenance-Signature"]):
                        outer.bad_signatures += 1
                    event_id = self.headers["Provenance-Event-Id"]
                    outer.deliveries.append(event_id)
                    if outer.processed[event_id] == 0:  # idempotent: a repeat is acknowledged, not processed
                        outer.processed[event_id] += 1
                    if outer.kill_pid and len(outer.deliveries) == KILL_AT:
                        os.kill(outer.kill_pid, signal.SIGKILL)
                        outer.kill_pid = None
                        time.sleep(0.3)  # the worker is gone before it could read an answer
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler


def start_worker(instance: Path, logs: Path, name: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}
    env.update(PORTAL_INSTANCE_PATH=str(instance), PYTHONUNBUFFERED="1", PGAPPNAME=f"webhooks-{name}")
    with (logs / f"{name}.log").open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "portal", "worker", "--interval", "0.2"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def webhook_states(app) -> Counter:
    with app.app_context():
        found = Counter({DeliveryState(s).value: n for s, n in db.session.execute(
            select(Notification.state, func.count()).where(Notification.channel == "webhook")
            .group_by(Notification.state))})
        db.session.remove()
    return found


@pytest.fixture
def instance(tmp_path, app, database_url, smtp_server):
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "config.py").write_text(
        "SECRET_KEY = 'webhook-worker-test'\n"
        f"KEY_ENCRYPTION_KEY = {app.config['KEY_ENCRYPTION_KEY']!r}\n"  # the subscriptions' secrets are under it
        f"DATABASE_URL = {database_url!r}\n"
        "MAIL_SERVER = '127.0.0.1'\n"
        f"MAIL_PORT = {smtp_server[0].port}\n"
        f"UPLOAD_FOLDER = {str(tmp_path / 'uploads')!r}\n"
        "BASE_URL = 'http://portal.test'\n"
        "WEBHOOK_ALLOW_PRIVATE = True\n"  # the receiving server is on 127.0.0.1, over http
    )
    return folder


def test_a_worker_killed_mid_delivery_loses_no_event_and_each_is_processed_once(app, instance, tmp_path,
                                                                                monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
    sale = build_sale(app)
    tokens = [make_proof(app, sale)[1] for _ in range(3)]
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    url = f"http://127.0.0.1:{server.server_port}/provenance"
    secrets = {}
    with app.app_context():
        for n in range(4):  # four marketplaces, each with three webhooks on each of the three proofs
            client, _ = marketplace.issue_client(name=f"Market {n}", scopes=["proofs:subscribe"], days=5, actor="t")
            for token in tokens:
                for _ in range(3):
                    subscription, secret = marketplace.subscribe(client, token, url)
                    secrets[subscription.id] = secret
        db.session.commit()
        # One stolen report ends the three proofs: 36 events, enqueued with it.
        ownership_services.report_stolen(find_user(sale.seller), db.session.get(Ownership, sale.ownership_id))
        db.session.commit()
        expected = {json.loads(note.context)["event"]["id"] for note in db.session.scalars(
            select(Notification).where(Notification.channel == "webhook"))}
        assert all(find_proof(t).revoked_at for t in tokens)
        db.session.remove()
    assert len(expected) == 36

    receiver = Marketplace(secrets)
    server.RequestHandlerClass = receiver.handler()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    workers = []
    try:
        first = start_worker(instance, tmp_path, "first")
        workers.append(first)
        receiver.kill_pid = first.pid
        first.wait(timeout=WAIT)
        assert first.returncode == -signal.SIGKILL, (tmp_path / "first.log").read_text()
        killed_in_flight = receiver.deliveries[-1]
        assert len(receiver.deliveries) == KILL_AT
        assert webhook_states(app) == Counter(sent=KILL_AT - 1, pending=36 - KILL_AT + 1)

        second = start_worker(instance, tmp_path, "second")
        workers.append(second)
        deadline = time.monotonic() + WAIT
        while webhook_states(app).get("sent", 0) < 36:
            assert second.poll() is None, (tmp_path / "second.log").read_text()
            assert time.monotonic() < deadline, f"timed out: {webhook_states(app)}"
            time.sleep(0.1)
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        server.shutdown()

    delivered = Counter(receiver.deliveries)
    assert set(delivered) == expected  # none lost
    assert receiver.processed == Counter(dict.fromkeys(expected, 1))  # each processed exactly once
    assert [e for e, n in delivered.items() if n > 1] == [killed_in_flight]  # only the one in flight came twice
    assert delivered[killed_in_flight] == 2 and len(receiver.deliveries) == 37
    assert receiver.bad_signatures == 0
