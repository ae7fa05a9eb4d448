"""The unit of work of a lean answer: one Core connection in autocommit, and no ORM session unless
something asks for one.

A verdict's reads and its scan are prebuilt statements (core/prebuilt.py) that need a connection, not a
session; making a session, finding its connection through it and committing through its transaction
machinery cost the lean path more than its statements did.

Inside `answering`, each statement is its own transaction. A verdict reads, then writes one row (its scan),
which commits as it runs: on PostgreSQL that spares the BEGIN and COMMIT round trips, two of the five and a
half a verdict made in one transaction (docs/performance.md), and on SQLite the write lock is held for that
one INSERT only. READ COMMITTED gave each statement its own snapshot anyway, so the reads see what they saw
before. Writes that must stand or fall together (a clone alert) go in `atomic(session)`: a real transaction
on the lean connection, and a savepoint of the session's transaction in a Flask view. A session that is used
in a lean answer gets the same connection as its bind (`Session.get_bind`, SQLAlchemy's "rollback_only"
join). `committed()` tells the lean path whether something is already written, after which the request
must never run a second time (authenticity/fastpath.py): a prebuilt write, an atomic block or `commit`.

Each thread keeps its connection from one lean answer to the next instead of taking it from the pool and
giving it back every time: on PostgreSQL a checkout costs a ping and the return a reset, both round trips.
A held connection is given back and replaced after the pool's `pool_recycle` (read from the pool's private
`_recycle`: SQLAlchemy is pinned to the minor version tested, pyproject.toml), when the engine is disposed,
and when a statement finds it broken: it is invalidated, and the lean path answers once more on a fresh one,
which the pool pings first, so a server restart between two answers costs no request a 503
(authenticity/fastpath.py). Between answers it is transactional, as the pool hands connections out.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


class _Answer:
    __slots__ = ("connection", "in_atomic", "wrote")

    def __init__(self, connection: Connection):
        self.connection, self.wrote, self.in_atomic = connection, False, False


_CURRENT: ContextVar[_Answer | None] = ContextVar("lean_work.answer", default=None)
_HELD_BY = "_lean_work_held"  # the engine's attribute: a threading.local with this thread's (connection, since)


def current() -> Connection | None:
    """The lean answer's connection, or None outside one."""
    answer = _CURRENT.get()
    return None if answer is None else answer.connection


def committed() -> bool:
    """Whether the lean answer running has written something for good."""
    answer = _CURRENT.get()
    return answer is not None and answer.wrote


def wrote() -> None:
    """Record that a statement of the lean answer running (if any) committed a write (core/prebuilt.py)."""
    answer = _CURRENT.get()
    if answer is not None and not answer.in_atomic:
        answer.wrote = True


def _held(engine: Engine) -> Connection:
    """This thread's connection to `engine`, taken from the pool the first time and after a recycle."""
    local = engine.__dict__.get(_HELD_BY)
    if local is None:
        local = engine.__dict__.setdefault(_HELD_BY, threading.local())
    held = getattr(local, "held", None)
    now = time.monotonic()
    if held is not None:
        connection, since = held
        recycle = engine.pool._recycle
        if not connection.invalidated and not connection.closed and (recycle < 0 or now - since < recycle):
            return connection
        release(engine)
    connection = engine.connect()
    local.held = (connection, now)
    return connection


def release(engine: Engine) -> None:
    """Give this thread's held connection back to the pool (closed if it was invalidated)."""
    local = engine.__dict__.get(_HELD_BY)
    held = getattr(local, "held", None)
    if held is not None:
        local.held = None
        held[0].close()


@event.listens_for(Engine, "engine_disposed")
def _release_on_dispose(engine: Engine) -> None:
    release(engine)


@contextmanager
def answering(engine: Engine) -> Iterator[Connection]:
    """This thread's held connection for one lean answer, in autocommit: each statement commits as it runs."""
    connection = _held(engine)
    dbapi = connection.connection.dbapi_connection
    _autocommit(dbapi, True)
    token = _CURRENT.set(_Answer(connection))
    try:
        yield connection
    finally:
        _CURRENT.reset(token)
        if connection.invalidated:
            release(engine)
        else:
            if connection.in_transaction():
                connection.rollback()
            _autocommit(dbapi, False)


def _autocommit(dbapi, on: bool) -> None:
    """Switch autocommit through the attribute SQLAlchemy's dialects set for it: sqlite3's `isolation_level`
    (None; back to "", its default: BEGIN before a write), psycopg's `autocommit`. Setting the isolation level
    through the SQLite dialect would also run a PRAGMA each time."""
    if isinstance(dbapi, sqlite3.Connection):
        dbapi.isolation_level = None if on else ""
    else:
        dbapi.autocommit = on


@contextmanager
def atomic(session) -> Iterator[None]:
    """Writes that stand or fall together: a transaction of their own inside a lean answer (committed at the
    end of the block, so `committed()` from then on), a savepoint of the session's transaction elsewhere (the
    view commits it with the rest). What the session did before the block is flushed first; in a lean answer
    the session is closed at both edges of the block (what it loaded stays readable, detached)."""
    answer = _CURRENT.get()
    if answer is None:
        with session.begin_nested():
            yield
        return
    connection = answer.connection
    _end_session(session)
    if connection.in_transaction():  # a session's read began one; in autocommit it holds nothing
        connection.commit()
    dbapi = connection.connection.dbapi_connection
    _autocommit(dbapi, False)
    answer.in_atomic = True
    try:
        with connection.begin():  # commits when the block ends, rolls back when it raises
            yield
            _end_session(session)
        answer.wrote = True
    finally:
        answer.in_atomic = False
        if session.registry.has():
            session.close()
        if not connection.invalidated:
            _autocommit(dbapi, True)


def _end_session(session) -> None:
    if session.registry.has():
        session.flush()
        session.close()


def commit(session) -> None:
    """Write what the session still holds (its pending changes, if one was made) in a lean answer, or,
    outside one, commit `session` as a view would."""
    answer = _CURRENT.get()
    if answer is None:
        session.commit()
        return
    if session.registry.has():
        session.flush()
    if answer.connection.in_transaction():
        answer.connection.commit()
    answer.wrote = True


class Session(FlaskSession):
    """Flask-SQLAlchemy's session, bound to the lean answer's connection while one runs."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind or current() or super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
