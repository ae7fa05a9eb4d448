"""The outbox worker as it runs in production, for the outbox tests: `flask --app portal worker` processes
and a real SMTP server.

Nothing of ours is mocked. The SMTP server below records the Message-ID of every message it accepts (the
outbox gives each notification a stable one), takes about 20 ms per message so that a worker can be killed
in the middle of a run, and can refuse chosen recipients with a permanent 550. The fixtures `smtp`,
`instance` and `workers` reach the outbox tests through tests/notifications/conftest.py.
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
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from portal.extensions import db
from portal.notifications.models import DeliveryState, Notification
from portal.notifications.services import enqueue
from tests.support.db import free_port

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
