"""The lean answer's unit of work (core/lean_work.py): one held connection in autocommit, atomic blocks in a
transaction of their own, a session that joins the connection when one is used."""
import pytest
from sqlalchemy import func, insert, select

from portal.authenticity.clones import record_scan
from portal.authenticity.models import Scan
from portal.core import lean_work
from portal.extensions import db


def scan_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Scan))


def test_a_lean_answer_keeps_each_write_as_it_runs_and_says_so(app):
    with app.app_context():
        with lean_work.answering(db.engine):
            assert not lean_work.committed()
            record_scan(None, "cannot_verify", "unknown_product", client="a")  # runs on the held connection
            assert lean_work.committed()  # from here on the request must never run a second time
        assert scan_count() == 1  # kept without a commit: the answer ran in autocommit


def test_an_atomic_block_stands_or_falls_together(app):
    with app.app_context():
        with lean_work.answering(db.engine):
            with pytest.raises(RuntimeError), lean_work.atomic(db.session):
                record_scan(None, "cannot_verify", "unknown_product", client="b")
                assert not lean_work.committed()  # not yet: the block has not ended
                raise RuntimeError("the second write failed")
            assert not lean_work.committed() and scan_count() == 0  # the block's first write went with it
            with lean_work.atomic(db.session):
                record_scan(None, "cannot_verify", "unknown_product", client="c")
                db.session.add(Scan(unit_id=None, verdict="cannot_verify", reason="unknown_product", client="d"))
            assert lean_work.committed()
            record_scan(None, "cannot_verify", "unknown_product", client="e")  # autocommit again after it
        assert scan_count() == 3


def test_an_atomic_block_in_a_view_is_a_savepoint_of_the_views_transaction(app):
    with app.app_context():
        record_scan(None, "cannot_verify", "unknown_product", client="f")
        with pytest.raises(RuntimeError), lean_work.atomic(db.session):
            db.session.add(Scan(unit_id=None, verdict="cannot_verify", reason="unknown_product", client="g"))
            db.session.flush()
            raise RuntimeError("the block failed")
        db.session.commit()  # the view's commit keeps what came before the block
        assert [c for (c,) in db.session.execute(select(Scan.client))] == ["f"]


def test_the_connection_is_held_from_one_answer_to_the_next_and_replaced_when_broken_or_disposed(app):
    with app.app_context():
        with lean_work.answering(db.engine) as first:
            pass
        with lean_work.answering(db.engine) as again:
            assert again is first
            again.invalidate()  # what a statement does when it finds the server gone
        with lean_work.answering(db.engine) as fresh:
            assert fresh is not first and not fresh.invalidated
        db.engine.dispose()
        assert fresh.closed  # given back: a disposed engine keeps no connection checked out here
        with lean_work.answering(db.engine) as after_dispose:
            assert after_dispose is not fresh


def test_between_answers_the_held_connection_is_transactional_again(app):
    with app.app_context():
        with lean_work.answering(db.engine) as held:
            pass
        with held.begin() as transaction:  # as the pool would hand it out
            held.execute(insert(Scan).values(unit_id=None, verdict="cannot_verify", reason="unknown_product",
                                             client="h", by_owner=False, channel="qr"))
            transaction.rollback()
        assert scan_count() == 0  # rolled back: the answer's autocommit did not stay behind


def test_a_session_used_inside_a_lean_answer_shares_its_connection(app):
    with app.app_context():
        with lean_work.answering(db.engine) as connection:
            record_scan(None, "cannot_verify", "unknown_product", client="i")
            assert db.session.connection() is connection
            assert db.session.scalar(select(func.count()).select_from(Scan)) == 1
        db.session.remove()
        assert scan_count() == 1
