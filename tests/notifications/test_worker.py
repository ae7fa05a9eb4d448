"""The outbox worker as it runs in production: `flask --app portal worker` processes, a real SMTP server.

Nothing of ours is mocked. The recording SMTP server, the worker processes and the helpers that fill and
read the outbox are in tests/support/outbox_worker.py (its fixtures come through conftest.py).
"""
from __future__ import annotations

import signal
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from portal.core.db import utcnow
from portal.extensions import db
from portal.notifications.models import DeliveryState, Notification
from portal.notifications.services import MAX_ATTEMPTS, deliver_due
from tests.support.db import DB_KIND
from tests.support.outbox_worker import WAIT, enqueue_many, outbox_states, pending_message_ids, wait_until


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
