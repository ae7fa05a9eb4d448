"""Messages per second one outbox worker delivers into a local SMTP server.

    .venv/bin/python bench/outbox.py                        # 2,000 notifications, SQLite in a temp folder
    .venv/bin/python bench/outbox.py --postgresql           # the same on a throwaway PostgreSQL cluster
    .venv/bin/python bench/outbox.py --messages 500 --recall

N pending notifications are written through `portal.notifications.services.enqueue` (or, with --recall,
by launching a recall over N owners, so each mail is rendered at send time from the campaign), then
delivered in this process by calling `deliver_due` until the queue is empty, exactly as
`flask --app portal worker` does, into an aiosmtpd server on 127.0.0.1 that accepts at once.

For scale it also sends the same number of messages with bare smtplib: one connection per message
(what the worker does) and one connection for all of them.
"""
from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


class Counting:
    """aiosmtpd handler that accepts every message at once and counts them."""

    def __init__(self):
        self.count, self.lock = 0, threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--recall", action="store_true", help="recall notices rendered at send time")
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    handler = Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    cluster = None
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    if args.postgresql:
        from tests.pgcluster import Cluster

        cluster = Cluster(port=5496).start()
        url = cluster.create_database("bench")
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    try:
        run(url, args.messages, args.recall, tmp, handler, controller.port)
    finally:
        controller.stop()
        if cluster:
            cluster.stop()


def run(url: str, count: int, recall: bool, tmp: Path, handler: Counting, port: int) -> None:
    from recall_launch import bench_app, prepare
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.notifications.models import Notification
    from portal.notifications.services import deliver_due, enqueue

    app = bench_app(url, tmp, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        database = db.engine.dialect.name
        started = time.perf_counter()
        if recall:
            from portal.recalls.services import launch, save_draft

            tenant, model = prepare(count, count)
            campaign = save_draft(tenant, actor="bench", number="R-1", title="Brake cable may fray",
                                  hazard="Loss of braking", criteria={"model_ids": [model.id]},
                                  remedy_instructions="Bring the bike to a dealer.")
            launch(campaign, remedy_available=True, actor="bench")
            kind = "recall notices (rendered when sent)"
        else:
            for n in range(count):
                enqueue(recipient=f"owner{n}@bench.test", template="reset_password", subject="Reset your password",
                        dedupe_key=f"bench:{n}", link=f"http://portal.bench/reset/{n}")
            kind = "password-reset mails (rendered when enqueued)"
        db.session.commit()
        pending = db.session.scalar(select(func.count()).select_from(Notification).where(Notification.state == "pending"))
        print(f"{database}: {pending:,} pending {kind}, written in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        sent = 0
        while True:
            batch = deliver_due(limit=100)  # the worker's batch size
            sent += batch
            if not batch:
                break
        took = time.perf_counter() - started
        left = db.session.scalar(select(func.count()).select_from(Notification).where(Notification.state != "sent"))
        assert sent == pending == handler.count and left == 0, (sent, pending, handler.count, left)
        print(f"{database}: one worker (deliver_due) sent {sent:,} in {took:.2f} s = {sent / took:,.0f} messages/s "
              f"({took / sent * 1000:.2f} ms each)")

    bare_smtp(count, port, handler)


def bare_smtp(count: int, port: int, handler: Counting) -> None:
    import smtplib

    def message(n: int) -> EmailMessage:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "bench@provenance.example", f"owner{n}@bench.test", "Bench"
        msg["Message-ID"] = f"<bench-{n}@provenance>"
        msg.set_content("A body of a few hundred bytes. " * 10)
        return msg

    before, started = handler.count, time.perf_counter()
    for n in range(count):
        with smtplib.SMTP("127.0.0.1", port, timeout=20) as smtp:
            smtp.send_message(message(n))
    apart = time.perf_counter() - started
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as smtp:
        for n in range(count):
            smtp.send_message(message(n))
    together = time.perf_counter() - started
    assert handler.count - before == 2 * count
    print(f"bare smtplib, a connection per message: {count / apart:,.0f} messages/s; "
          f"one connection for all: {count / together:,.0f} messages/s")


if __name__ == "__main__":
    main()
