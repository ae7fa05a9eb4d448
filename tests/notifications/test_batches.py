"""Batches in the outbox: claims that two workers never share, and what a kill -9 in the middle of a batch costs.

Real databases, real worker processes (`flask --app portal worker`) and the recording SMTP server of
tests/support/outbox_worker.py; nothing of ours is mocked.
"""
from __future__ import annotations

import signal
from collections import Counter

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.notifications.delivery import Outcomes, claim_batch
from portal.notifications.models import DeliveryState, Notification
from tests.support.db import DB_KIND
from tests.support.outbox_worker import (
    WAIT,
    Workers,
    enqueue_many,
    outbox_states,
    pending_message_ids,
    wait_until,
)

BATCH = 20  # MAIL_BATCH_SIZE for the worker processes below

pg_only = pytest.mark.skipif(DB_KIND != "postgresql", reason="SQLite has no row or advisory locks: one worker "
                                                             "per SQLite database")


@pg_only
def test_two_workers_claim_disjoint_batches_and_a_dead_workers_rows_come_back_at_once(app, smtp):
    enqueue_many(app, 40)
    with app.app_context():  # worker A's connection
        first = {n.id for n in claim_batch(10)}
        with app.app_context():  # worker B's, while A holds its batch
            second = {n.id for n in claim_batch(10)}
            with app.app_context():  # worker C's
                third = {n.id for n in claim_batch(10)}
                assert len(first) == len(second) == len(third) == 10
                assert not first & second and not first & third and not second & third
                db.session.rollback()  # C lets go of its batch untouched
            outcomes = Outcomes()
            for note_id in sorted(second)[:3]:  # B sends three and records them, then dies
                outcomes.sent(db.session.get(Notification, note_id))
            outcomes.close()
            db.session.close()  # its connection goes: so do its claims
        with app.app_context():  # D, at once: everything but A's batch and the three B recorded as sent
            again = {n.id for n in claim_batch(40)}
            assert len(again) == 27 and not again & first
            assert second - again == set(sorted(second)[:3])
            db.session.rollback()
        db.session.rollback()


@pytest.fixture
def batch_instance(instance):
    with (instance / "config.py").open("a") as config:
        config.write(f"MAIL_BATCH_SIZE = {BATCH}\n")
    return instance


def test_a_kill_in_the_middle_of_a_batch_resends_at_most_the_message_in_flight(app, smtp, batch_instance,
                                                                                tmp_path):
    workers = Workers(batch_instance, tmp_path)
    try:
        message_ids = enqueue_many(app, 3 * BATCH)
        # Killed after the 30th message (the 10th of the second batch of 20) was handed over, before its "250"
        # was read: the 29 before it are recorded sent, the other 10 of its batch are still pending.
        first = workers.start("first")
        smtp.kill_at = ("awaiting_reply", BATCH + BATCH // 2, first.pid)
        first.wait(timeout=WAIT)
        assert first.returncode == -signal.SIGKILL, workers.output(first)
        in_flight = smtp.in_flight_when_killed
        assert outbox_states(app) == Counter(sent=BATCH + BATCH // 2 - 1, pending=BATCH + BATCH // 2 + 1)
        assert in_flight in pending_message_ids(app)

        workers.start("second")  # takes the interrupted batch at once (its claims died with the connection)
        wait_until(lambda: outbox_states(app) == Counter(sent=3 * BATCH), "every notification to be sent", workers)
    finally:
        workers.stop_all()

    received = Counter(smtp.received)
    assert set(received) == set(message_ids), "a message was lost, or one came from nowhere"
    repeated = {mid: n - 1 for mid, n in received.items() if n > 1}
    assert set(repeated) <= {in_flight} and sum(repeated.values()) <= 1, repeated
    with app.app_context():
        assert db.session.scalar(select(Notification.attempts).where(Notification.state == DeliveryState.SENT)
                                 .order_by(Notification.attempts.desc()).limit(1)) == 1
        db.session.remove()
