"""The lean answer's unit of work (core/lean_work.py): one held connection, one transaction, a session that
joins it when one is used."""
from sqlalchemy import func, select

from portal.authenticity.clones import record_scan
from portal.authenticity.models import Scan
from portal.core import lean_work
from portal.extensions import db


def scan_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Scan))


def test_what_a_lean_answer_writes_is_kept_only_when_it_commits(app):
    with app.app_context():
        with lean_work.transaction(db.engine):
            record_scan(None, "cannot_verify", "unknown_product", client="a")  # runs on the held connection
        assert scan_count() == 0
        with lean_work.transaction(db.engine):
            record_scan(None, "cannot_verify", "unknown_product", client="b")
            lean_work.commit(db.session)
        assert scan_count() == 1


def test_the_connection_is_held_from_one_answer_to_the_next_and_replaced_when_broken_or_disposed(app):
    with app.app_context():
        with lean_work.transaction(db.engine) as first:
            pass
        with lean_work.transaction(db.engine) as again:
            assert again is first
            again.invalidate()  # what a statement does when it finds the server gone
        with lean_work.transaction(db.engine) as fresh:
            assert fresh is not first and not fresh.invalidated
        db.engine.dispose()
        assert fresh.closed  # given back: a disposed engine keeps no connection checked out here
        with lean_work.transaction(db.engine) as after_dispose:
            assert after_dispose is not fresh


def test_a_read_only_answer_leaves_the_held_connection_transactional_for_the_next(app):
    with app.app_context():
        with lean_work.transaction(db.engine, writes=False) as reading:
            assert reading.execute(select(func.count()).select_from(Scan)).scalar() == 0
        with lean_work.transaction(db.engine) as writing:
            assert writing is reading
            record_scan(None, "cannot_verify", "unknown_product", client="c")
        assert scan_count() == 0  # rolled back: the read-only answer's autocommit did not stay behind


def test_a_session_used_inside_a_lean_answer_joins_its_transaction(app):
    with app.app_context():
        with lean_work.transaction(db.engine) as connection:
            record_scan(None, "cannot_verify", "unknown_product", client="d")
            assert db.session.connection() is connection  # the same connection, so the row above is visible
            assert db.session.scalar(select(func.count()).select_from(Scan)) == 1
        db.session.remove()
        assert scan_count() == 0
