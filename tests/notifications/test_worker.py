"""The outbox worker as it runs in production: `flask --app portal worker` processes, a real SMTP server.

Nothing of ours is mocked. The SMTP server below records the Message-ID of every message it accepts (the
outbox gives each notification a stable one), takes about 20 ms per message so that a worker can be killed
in the middle of a run, and can refuse chosen recipients with a permanent 550.
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text, update

from portal.core.db import utcnow
from portal.extensions import db
from portal.notifications.models import DeliveryState, Notification
from portal.notifications.services import MAX_ATTEMPTS, deliver_due, enqueue
from tests.support.db import DB_KIND, free_port

ROOT = Path(__file__).resolve().parents[2]
SMTP_DELAY = 0.02  # seconds the server takes per message
WAIT = 25.0  # longest wait for workers to finish, in seconds (a run here takes a few)


class RecordingSMTP:
    """aiosmtpd handler: records Message-IDs; can SIGKILL a sending process at a chosen moment."""

    def __init__(self, delay: float = SMTP_DELAY, refuse: tuple[str, ...] = ()):
        self.delay, self.refuse = delay, set(refuse)
        self.received: list[str] = []
        self.port = 0
        self.mails = 0
        self.kill_at: tuple[str, int, int] | None = None  # (moment, n-th message, pid)
        self.in_flight_when_killed: str | None = None

    def _kill_now(self, moment: str, count: int) -> bool:
        if self.kill_at and self.kill_at[0] == moment and count >= self.kill_at[1]:
            os.kill(self.kill_at[2], signal.SIGKILL)
            self.kill_at = None
            return True
        return False

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mails += 1
        self._kill_now("connecting", self.mails)  # before the message is handed over
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message_id = BytesHeaderParser().parsebytes(envelope.content)["Message-ID"]
        self.received.append(message_id)
        if self._kill_now("awaiting_reply", len(self.received)):  # handed over, "250" not yet read
            self.in_flight_when_killed = message_id
        await asyncio.sleep(self.delay)
        return "250 OK"


@pytest.fixture
def smtp():
    handler = RecordingSMTP(refuse=("nobody@example.test",))
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def instance(tmp_path, database_url, smtp) -> Path:
    """An instance folder for worker processes: the test database and the recording SMTP server."""
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "config.py").write_text(
        "SECRET_KEY = 'worker-test-secret'\n"
        f"KEY_ENCRYPTION_KEY = {Fernet.generate_key().decode()!r}\n"
        f"DATABASE_URL = {database_url!r}\n"
        "MAIL_SERVER = '127.0.0.1'\n"
        f"MAIL_PORT = {smtp.port}\n"
        f"UPLOAD_FOLDER = {str(tmp_path / 'uploads')!r}\n"
        "BASE_URL = 'http://portal.test'\n"
    )
    return folder


class Workers:
    """`flask --app portal worker` subprocesses; whatever is still running at teardown is killed."""

    def __init__(self, instance: Path, logs: Path):
        self.instance, self.logs, self.procs = instance, logs, []

    def start(self, name: str) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}
        env.update(PORTAL_INSTANCE_PATH=str(self.instance), PYTHONUNBUFFERED="1", PGAPPNAME=f"outbox-{name}")
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "portal", "worker", "--interval", "0.2"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        proc.name = name
        self.procs.append(proc)
        return proc

    def output(self, proc) -> str:
        return (self.logs / f"{proc.name}.log").read_text(errors="replace")

    def sent(self, proc) -> int:
        """What the worker says it sent ("sent N" after each batch)."""
        return sum(int(n) for n in re.findall(r"^sent (\d+)$", self.output(proc), re.MULTILINE))

    def check_alive(self) -> None:
        for proc in self.procs:
            if proc.poll() is not None and proc.returncode != -signal.SIGKILL:
                pytest.fail(f"worker {proc.name} exited with {proc.returncode}:\n{self.output(proc)[-3000:]}")

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def workers(app, smtp, instance, tmp_path):
    group = Workers(instance, tmp_path)
    yield group
    group.stop_all()  # before `app` wipes the tables


def enqueue_many(app, count: int, recipient: str = "owner{}@example.test") -> list[str]:
    """Pending notifications through the real outbox; returns their Message-IDs."""
    with app.app_context():
        notes = [enqueue(recipient=recipient.format(i), template="reset_password", subject="Reset your password",
                         dedupe_key=f"worker-test:{recipient}:{i}", link=f"http://portal.test/reset/{i}")
                 for i in range(count)]
        db.session.commit()
        ids = [note.message_id for note in notes]
        db.session.remove()
    return ids


def outbox_states(app) -> Counter:
    with app.app_context():
        found = Counter({DeliveryState(state).value: n for state, n in db.session.execute(
            select(Notification.state, func.count()).group_by(Notification.state))})
        db.session.remove()
    return found


def pending_message_ids(app) -> set[str]:
    with app.app_context():
        found = {note.message_id for note in db.session.scalars(
            select(Notification).where(Notification.state == DeliveryState.PENDING))}
        db.session.remove()
    return found


def wait_until(condition, what: str, workers: Workers, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        workers.check_alive()
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def test_a_worker_killed_mid_send_loses_nothing_and_repeats_only_the_message_in_flight(app, smtp, workers):
    message_ids = enqueue_many(app, 150)

    # 1. SIGKILL while connecting for the 40th message, before the server has it: nothing may be repeated.
    first = workers.start("first")
    smtp.kill_at = ("connecting", 40, first.pid)
    first.wait(timeout=WAIT)
    assert first.returncode == -signal.SIGKILL, workers.output(first)
    assert len(smtp.received) == 39
    assert outbox_states(app) == Counter(sent=39, pending=111)

    # 2. SIGKILL after the 80th message was handed over, before the server's "250" was read: it is not
    #    marked sent, so it goes again (at-least-once); it alone may be repeated.
    second = workers.start("second")
    smtp.kill_at = ("awaiting_reply", 80, second.pid)
    second.wait(timeout=WAIT)
    assert second.returncode == -signal.SIGKILL, workers.output(second)
    assert len(smtp.received) == 80
    assert outbox_states(app) == Counter(sent=79, pending=71)
    assert smtp.in_flight_when_killed in pending_message_ids(app), "accepted by the server but not yet marked sent"

    # 3. A fresh worker finishes the queue.
    third = workers.start("third")
    wait_until(lambda: outbox_states(app) == Counter(sent=150), "every notification to be sent", workers)

    received = Counter(smtp.received)
    assert set(received) == set(message_ids), "a message was lost, or one came from nowhere"
    repeated = {mid: n - 1 for mid, n in received.items() if n > 1}
    assert sum(repeated.values()) <= 1, f"duplicates beyond the message in flight: {repeated}"
    assert set(repeated) <= {smtp.in_flight_when_killed}, repeated
    assert third.poll() is None  # the worker keeps polling once the queue is empty


@pytest.mark.skipif(DB_KIND != "postgresql", reason="SQLite has no row locks (no SELECT ... FOR UPDATE SKIP LOCKED): "
                                                    "one worker per SQLite database")
def test_two_workers_side_by_side_send_every_message_exactly_once(app, smtp, workers):
    message_ids = enqueue_many(app, 200)
    with app.app_context():  # hold the queue back until both workers poll it, so they race for every row
        db.session.execute(update(Notification).values(next_attempt_at=utcnow() + timedelta(hours=1)))
        db.session.commit()
    pair = [workers.start("a"), workers.start("b")]

    def both_connected() -> bool:
        with app.app_context():
            n = db.session.scalar(text("SELECT count(DISTINCT application_name) FROM pg_stat_activity "
                                       "WHERE application_name IN ('outbox-a', 'outbox-b')"))
            db.session.remove()
        return n == 2

    wait_until(both_connected, "both workers to connect", workers)
    with app.app_context():
        db.session.execute(update(Notification).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    wait_until(lambda: outbox_states(app) == Counter(sent=200), "every notification to be sent", workers)

    received = Counter(smtp.received)
    assert set(received) == set(message_ids)
    assert {mid: n for mid, n in received.items() if n != 1} == {}, "a message was sent twice"
    wait_until(lambda: sum(workers.sent(p) for p in pair) == 200, "the workers to report their batches", workers,
               timeout=5)
    assert all(workers.sent(p) > 0 for p in pair), "one worker did all the work; the race was not exercised"


def test_a_message_the_server_refuses_eight_times_ends_dead_after_backing_off(app, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp.port)
    [refused] = enqueue_many(app, 1, recipient="nobody@example.test")
    [fine] = enqueue_many(app, 1, recipient="somebody{}@example.test")
    with app.app_context():
        note_id = db.session.scalar(select(Notification.id).where(Notification.recipient == "nobody@example.test"))
        for attempt in range(1, MAX_ATTEMPTS + 1):
            before = utcnow()
            deliver_due()
            note = db.session.get(Notification, note_id)
            assert note.attempts == attempt and "550" in note.last_error
            if attempt < MAX_ATTEMPTS:
                assert note.state is DeliveryState.PENDING
                wait = (note.next_attempt_at - before).total_seconds()
                assert 30 * 2 ** attempt <= wait <= 30 * 2 ** attempt + 5, wait  # 1, 2, 4 ... minutes
                assert deliver_due() == 0  # not due yet: no retry before its time
                db.session.execute(update(Notification).where(Notification.id == note_id)
                                   .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
                db.session.commit()
        assert note.state is DeliveryState.DEAD and note.sent_at is None

        db.session.execute(update(Notification).where(Notification.id == note_id)
                           .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert deliver_due() == 0  # a dead message is never tried again
        assert db.session.get(Notification, note_id).attempts == MAX_ATTEMPTS
        db.session.remove()
    assert refused not in smtp.received  # refused at RCPT, so no DATA ever reached the server
    assert smtp.received == [fine]  # the other recipient's message went out once, undisturbed
