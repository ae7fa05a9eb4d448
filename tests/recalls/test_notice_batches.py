"""Recall notices rendered a batch at a time (recalls.notices_batch) come out byte for byte as one by one
(recalls.notices.render_recall_notice), in a handful of statements whatever the batch's size, and are what the
outbox sends."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from portal.accounts.services import create_user, find_user
from portal.catalog.services import find_unit
from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.services import BATCH_RENDERERS, deliver_due
from portal.recalls import contacts, services
from portal.recalls.notices import render_recall_notice
from portal.recalls.notices_batch import render_recall_notices
from tests.support.recalls import BIKE, make_draft, own


@pytest.fixture
def notices(fleet):
    """A launched campaign (units of remedy: the cells of lot CELL-A, held in bikes) whose notices differ in
    every way a notice can: language (fr, de, en; the product sold in France, Germany and Belgium), a name or
    none, a name to escape, one unit or two, and a safety-only contact without an account."""
    with fleet.app_context():
        ann, ben = find_user("ann@example.test"), find_user("ben@example.test")
        ann.locale, ann.name = "fr", "Ann <b>&</b> Zoë"
        ben.locale, ben.name = "de", ""
        cleo = create_user("cleo@example.test", "x" * 12, verified=True)
        cleo.name = "Cleo"
        for email, serial in (("ann@example.test", "B-001"), ("ann@example.test", "B-002"),
                              ("ben@example.test", "B-003"), ("cleo@example.test", "B-004")):
            own(email, BIKE, serial)
        contacts.register(find_unit(BIKE, "B-002"), "dora@example.test", locale="de")
        services.launch(make_draft(lots=["CELL-A"], remedy_unit="part"), remedy_available=True, actor="test")
        db.session.commit()
        ids = list(db.session.scalars(select(Notification.id).where(Notification.template == "recall_notice")
                                      .order_by(Notification.id)))
        db.session.remove()
    assert len(ids) == 4
    return ids


def notes(ids):
    return list(db.session.scalars(select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)))


def test_a_batch_renders_every_notice_byte_for_byte_as_one_by_one(fleet, notices):
    with fleet.app_context():
        one_by_one = {note.id: render_recall_notice(note) for note in notes(notices)}
        db.session.remove()
        batch = render_recall_notices(notes(notices))
    assert batch == one_by_one
    texts = [text for _subject, text, _html in batch.values()]
    assert any("Ann &lt;b&gt;&amp;&lt;/b&gt; Zoë" in html for _s, _t, html in batch.values())
    assert any("C-001" in text and "C-002" in text and "B-002" in text for text in texts)  # ann's two cells
    assert len({text.split("\n", 1)[0] for text in texts}) >= 2  # written in more than one first language


def test_a_batch_costs_the_same_statements_for_one_notice_as_for_all(fleet, notices):
    def statements(ids) -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])
        with fleet.app_context():
            batch = notes(ids)
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert set(render_recall_notices(batch)) == set(ids)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            db.session.remove()
        return len(seen)

    with fleet.app_context():  # cleo's notice is written in all three languages, so one notice pays for them all
        cleo = next(note.id for note in notes(notices) if note.recipient == "cleo@example.test")
        db.session.remove()
    one, every = statements([cleo]), statements(notices)
    assert every <= one + 1, (one, every)  # + the safety-only contacts' query


def test_the_outbox_sends_what_the_batch_renderer_makes(fleet, notices, mailbox):
    assert "recall_notice" in BATCH_RENDERERS
    with fleet.app_context():
        expected = {note.recipient: render_recall_notice(note) for note in notes(notices)}
        db.session.remove()
        assert deliver_due() == 5  # the four notices and the confirmation of dora's registration
    for recipient, (subject, text, html) in expected.items():
        message = mailbox.last_to(recipient)
        assert message["Subject"] == subject
        assert body(message, "plain") == text.strip()
        assert body(message, "html") == html.strip()


def body(message, kind: str) -> str:
    return message.get_body((kind,)).get_content().replace("\r\n", "\n").strip()
