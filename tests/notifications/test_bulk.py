"""The outbox's bulk interface (enqueue_many, withdraw, count) and batch renderers, on a real database and a
real SMTP server."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import String, cast, literal, select

from portal.accounts.models import User
from portal.accounts.services import create_user
from portal.extensions import db
from portal.notifications import queries
from portal.notifications.models import DeliveryState, Notification
from portal.notifications.services import (
    BATCH_RENDERERS,
    RENDERERS,
    deliver_due,
    enqueue,
    enqueue_many,
    register_renderer,
    withdraw,
)
from tests.factories import PASSWORD


@pytest.fixture
def owners(ctx):
    users = [create_user(f"owner{n}@example.test", PASSWORD, name=f"Owner {n}", verified=True) for n in range(5)]
    db.session.commit()
    return users


def everyone():
    return select(cast(User.id, String).label("key"), User.email.label("recipient"), User.id.label("user_id"))


@pytest.fixture
def shout():
    """A renderer for the test template 'shout': the subject and body from the row's context."""
    calls = {"one": 0, "batches": []}

    def one(note):
        calls["one"] += 1
        data = json.loads(note.context)
        return data["subject"], f"{data['text']} for {note.recipient}", ""

    register_renderer("shout", one)
    yield calls
    RENDERERS.pop("shout", None)
    BATCH_RENDERERS.pop("shout", None)


def test_enqueue_many_writes_one_row_per_recipient_in_one_statement_and_never_twice(owners, shout, mailbox):
    written = enqueue_many(everyone(), topic="drill:1", template="shout", subject="Drill",
                           context={"subject": "Fire drill", "text": "Leave by the stairs"}, new_topic=True)
    db.session.commit()
    assert written == 5
    again = enqueue_many(everyone(), topic="drill:1", template="shout", subject="Drill", context={})
    assert again == 0, "the dedupe keys already exist: nothing is written twice"
    keys = set(db.session.scalars(select(Notification.dedupe_key).where(Notification.topic == "drill:1")))
    assert keys == {f"drill:1:{u.id}" for u in owners}
    assert queries.count("drill:1") == 5 and queries.count("drill:1", "pending") == 5

    assert deliver_due() == 5
    assert sorted(m["To"] for m in mailbox.messages) == sorted(u.email for u in owners)
    assert {m["Subject"] for m in mailbox.messages} == {"Fire drill"}
    assert mailbox.last_to("owner3@example.test").get_content().strip() == \
        "Leave by the stairs for owner3@example.test"
    assert queries.count_by_state("drill:1") == {"pending": 0, "sent": 5, "dead": 0}


def test_per_row_context_and_rows_without_a_user(owners, shout, mailbox):
    rows = select(literal("c1").label("key"), literal("safety@example.test").label("recipient"),
                  literal(json.dumps({"subject": "For contacts", "text": "Contact"})).label("context"))
    assert enqueue_many(rows, topic="drill:2", template="shout", subject="Drill") == 1
    db.session.commit()
    note = db.session.scalar(select(Notification).where(Notification.topic == "drill:2"))
    assert note.user_id is None and note.dedupe_key == "drill:2:c1"
    deliver_due()
    assert mailbox.last_to("safety@example.test")["Subject"] == "For contacts"


def test_withdraw_stops_the_topics_pending_messages_only(owners, shout, mailbox):
    enqueue_many(everyone(), topic="drill:3", template="shout", subject="Drill", context={"subject": "s", "text": "t"})
    enqueue_many(everyone(), topic="drill:4", template="shout", subject="Drill", context={"subject": "s", "text": "t"})
    db.session.commit()
    assert deliver_due(limit=2) == 2  # two of drill:3 go first (due in the order written)
    sent_before = queries.count("drill:3", "sent")

    withdrawn = withdraw("drill:3", reason="campaign closed")
    db.session.commit()
    assert withdrawn == 5 - sent_before
    assert queries.count("drill:3", "pending") == 0 and queries.count("drill:4", "pending") == 5 - (2 - sent_before)
    dead = db.session.scalars(select(Notification).where(Notification.topic == "drill:3",
                                                         Notification.state == DeliveryState.DEAD)).all()
    assert dead and {n.last_error for n in dead} == {"campaign closed"}
    mailbox.messages.clear()
    deliver_due()
    assert len(mailbox.messages) == queries.count("drill:4", "sent") - (2 - sent_before)
    assert queries.count("drill:3", "sent") == sent_before, "a withdrawn message went out"


def test_a_batch_renderer_renders_the_batch_in_one_call_and_a_failing_one_falls_back(owners, shout, mailbox):
    def many(notes):
        shout["batches"].append(len(notes))
        return {n.id: ("Batched", f"batch text for {n.recipient}", "") for n in notes}

    register_renderer("shout", RENDERERS["shout"], batch=many)
    enqueue_many(everyone(), topic="drill:5", template="shout", subject="Drill", context={"subject": "s", "text": "t"})
    db.session.commit()
    assert deliver_due() == 5
    assert shout["batches"] == [5] and shout["one"] == 0
    assert {m["Subject"] for m in mailbox.messages} == {"Batched"}

    def broken(notes):
        raise RuntimeError("the batch renderer failed")

    register_renderer("shout", RENDERERS["shout"], batch=broken)
    mailbox.messages.clear()
    enqueue_many(everyone(), topic="drill:6", template="shout", subject="Drill", context={"subject": "One", "text": "t"})
    db.session.commit()
    assert deliver_due() == 5, "the one-by-one renderer takes over"
    assert shout["one"] == 5 and {m["Subject"] for m in mailbox.messages} == {"One"}


def test_topics_are_validated_and_single_mail_can_carry_one(ctx):
    with pytest.raises(ValueError):
        enqueue_many(everyone(), topic="drill:", template="shout", subject="x")
    note = enqueue(recipient="one@example.test", template="reset_password", subject="Reset your password",
                   dedupe_key="reset:one", topic="resets", link="http://portal.test/reset/1")
    db.session.commit()
    assert note.topic == "resets" and queries.count("resets") == 1
