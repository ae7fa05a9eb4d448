"""Messages per second one outbox worker delivers into a local SMTP server.

    .venv/bin/python bench/outbox.py                        # 2,000 notifications, SQLite in a temp folder
    .venv/bin/python bench/outbox.py --postgresql           # the same on a throwaway PostgreSQL cluster
    .venv/bin/python bench/outbox.py --messages 500 --recall
    .venv/bin/python bench/outbox.py --postgresql --recall --messages 50000 --workers 2

N pending notifications are written through `portal.notifications.services.enqueue` (or, with --recall,
by launching a recall over N owners, so each mail is rendered at send time from the campaign), then
delivered by calling `deliver_due` until the queue is empty, exactly as `flask --app portal worker` does,
into an aiosmtpd server on 127.0.0.1 that accepts at once: in this process, and with --workers N > 1 also
by N worker processes side by side (PostgreSQL; the queue is written again for them).

For scale it also sends the same number of messages with bare smtplib: one connection per message and one
connection for all of them (the reference: the worker's ratio to it is printed), and extrapolates the time
500,000 recall notices would take at the rates measured.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
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


#: The elements a GPSR notice needs before launch (recalls.notice_rules); one country, so each notice is
#: written in one language (the owners' English), as the figures before 2026-12-07 were.
NOTICE = {
    "product_description": "A city bike.", "product_image": "bench/product.png",
    "identifier_location": "The serial number is on the frame under the saddle.",
    "identifier_image": "bench/label.png", "sold_from": "2025-01-01", "sold_to": "2025-12-31",
    "sold_where": "Shops in Britain", "sold_by": "The maker and its dealers", "countries": "GB",
    "remedies": "repair,replace,refund", "contact_phone": "0800 100 200",
    "contact_url": "https://maker.example/recall", "remedy_instructions": "Bring the bike to a dealer.",
    "share_request": "Please share this notice with anyone who may own this product.",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--recall", action="store_true", help="recall notices rendered at send time")
    parser.add_argument("--workers", type=int, default=1, help="also drain the queue with N worker processes")
    parser.add_argument("--drain", help=argparse.SUPPRESS)  # a worker process: DATABASE_URL,MAIL_PORT,TMP
    args = parser.parse_args()
    if args.drain:
        url, port, tmp = args.drain.split(",")
        drain(url, int(port), Path(tmp))
        return
    print(f"load average at start: {os.getloadavg()[0]:.1f}", flush=True)

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
        run(url, args.messages, args.recall, tmp, handler, controller.port, args.workers)
    finally:
        controller.stop()
        if cluster:
            cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run(url: str, count: int, recall: bool, tmp: Path, handler: Counting, port: int, workers: int) -> None:
    from recall_launch import bench_app
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.notifications.models import Notification

    app = bench_app(url, tmp, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        database = db.engine.dialect.name
        kind = fill(count, recall)
        rates = {}
        started, one_cpu = time.perf_counter(), time.process_time()
        sent = drain_here()
        took, one_cpu = time.perf_counter() - started, time.process_time() - one_cpu
        left = db.session.scalar(select(func.count()).select_from(Notification).where(Notification.state != "sent"))
        assert sent == count == handler.count and left == 0, (sent, count, handler.count, left)
        rates[1] = sent / took
        print(f"{database}: {count:,} {kind}; one worker (deliver_due) sent {sent:,} in {took:.2f} s = "
              f"{sent / took:,.0f} messages/s ({took / sent * 1000:.2f} ms each; load {os.getloadavg()[0]:.1f}); "
              f"CPU of this process (worker and SMTP server) {one_cpu / sent * 1000:.2f} ms per message", flush=True)
        if workers > 1:
            reset(hold=True)  # every message pending again, held back until the workers are up
            procs = [subprocess.Popen([sys.executable, __file__, "--drain", f"{url},{port},{tmp}"],
                                      stdout=subprocess.PIPE, text=True) for _ in range(workers)]
            assert all(p.stdout.readline().strip() == "ready" for p in procs)
            before, started = handler.count, time.perf_counter()
            reset(hold=False)
            assert all(p.wait() == 0 for p in procs)
            took = time.perf_counter() - started
            cpu = sum(float(p.stdout.read().split()[-1]) for p in procs)  # each worker's CPU seconds delivering
            got = handler.count - before
            left = db.session.scalar(select(func.count()).select_from(Notification)
                                     .where(Notification.state != "sent"))
            assert got == count and left == 0, (got, count, left)
            rates[workers] = count / took
            print(f"{database}: {workers} worker processes sent {count:,} in {took:.2f} s = {count / took:,.0f} "
                  f"messages/s, {rates[workers] / rates[1]:.2f}x one worker (load {os.getloadavg()[0]:.1f}); "
                  f"worker CPU {cpu / count * 1000:.2f} ms per message", flush=True)
    _, together, bare_cpu = bare_smtp(count, port, handler)
    print(f"one worker against bare smtplib over one connection: {rates[1] / together:.2f} (target >= 0.60); "
          f"by CPU per message (both with the SMTP server's): {bare_cpu / (one_cpu / count):.2f}")
    for n, rate in rates.items():
        print(f"500,000 {'recall notices' if recall else 'messages'} at this rate with {n} worker(s): "
              f"{500_000 / rate / 60:.1f} min")


def fill(count: int, recall: bool) -> str:
    from recall_launch import prepare
    from sqlalchemy import text

    from portal.extensions import db
    from portal.notifications.services import enqueue

    started = time.perf_counter()
    if recall:
        from portal.recalls.services import launch, save_draft

        tenant, model = prepare(count, count)
        campaign = save_draft(tenant, actor="bench", number="R-1", title="Brake cable may fray",
                              hazard="Loss of braking", criteria={"model_ids": [model.id]}, **NOTICE)
        launch(campaign, remedy_available=True, actor="bench")
        if db.session.get_bind().dialect.name == "postgresql":
            # What autovacuum does within a minute of a bulk load (bench/recall_launch.py does the same): without
            # it the planner reads every unit of the campaign for each batch's owners (see docs/performance.md).
            db.session.commit()
            db.session.execute(text("ANALYZE"))
        kind = "recall notices (rendered when sent)"
    else:
        for n in range(count):
            enqueue(recipient=f"owner{n}@bench.test", template="reset_password", subject="Reset your password",
                    dedupe_key=f"bench:{n}", link=f"http://portal.bench/reset/{n}")
        kind = "password-reset mails (rendered when enqueued)"
    db.session.commit()
    print(f"  {kind} written in {time.perf_counter() - started:.1f} s", flush=True)
    return kind


def reset(hold: bool) -> None:
    """Every message pending again, as written (the rendered-at-send ones without a body); due in an hour
    when `hold`, else at once."""
    from datetime import timedelta

    from sqlalchemy import update

    from portal.core.db import utcnow
    from portal.extensions import db
    from portal.notifications.models import Notification

    due = utcnow() + timedelta(hours=1 if hold else -1)
    db.session.execute(update(Notification).values(state="pending", attempts=0, sent_at=None, next_attempt_at=due))
    db.session.commit()


def drain_here() -> int:
    from portal.notifications.services import deliver_due

    sent = 0
    while True:
        batch = deliver_due(limit=100)  # what `flask --app portal worker` calls each round
        sent += batch
        if not batch:
            return sent


def drain(url: str, port: int, tmp: Path) -> None:
    """A worker process of --workers: says "ready", then delivers until no message is pending."""
    from sqlalchemy import func, select

    from portal import create_app
    from portal.extensions import db
    from portal.notifications.models import Notification

    # The schema is the bench process's: no migration here (one added to the tree meanwhile would run twice).
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "UPLOAD_FOLDER": str(tmp),
                      "MAIL_DELIVER_AFTER_REQUEST": False, "BASE_URL": "http://portal.bench",
                      "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port})
    with app.app_context():
        db.session.execute(select(1))
        db.session.commit()
        print("ready", flush=True)
        cpu = time.process_time()
        while True:
            drain_here()
            if not db.session.scalar(select(func.count()).select_from(Notification)
                                     .where(Notification.state == "pending")):
                print(f"cpu {time.process_time() - cpu:.3f}", flush=True)
                return
            db.session.commit()
            time.sleep(0.01)


def bare_smtp(count: int, port: int, handler: Counting) -> tuple[float, float, float]:
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
    started, cpu = time.perf_counter(), time.process_time()
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as smtp:
        for n in range(count):
            smtp.send_message(message(n))
    together, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert handler.count - before == 2 * count
    print(f"bare smtplib, a connection per message: {count / apart:,.0f} messages/s; "
          f"one connection for all: {count / together:,.0f} messages/s (load {os.getloadavg()[0]:.1f}), "
          f"CPU of this process {cpu / count * 1000:.2f} ms per message")
    return count / apart, count / together, cpu / count


if __name__ == "__main__":
    main()
