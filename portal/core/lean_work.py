"""The unit of work of a lean answer: one Core connection and its transaction, and no ORM session unless
something asks for one.

A verdict's reads and its scan are prebuilt statements (core/prebuilt.py) that need a connection, not a
session; making a session, finding its connection through it and committing through its transaction
machinery cost the lean path more than its statements did. Inside `transaction`, `prebuilt` runs on this
connection, and a session that is used after all (a rare branch: a clone alert raised, a replaced unit's
coverage) gets the same connection as its bind and joins the transaction already begun instead of
opening its own (`Session.get_bind`, SQLAlchemy's "rollback_only" join). So everything the answer writes
commits or rolls back together, as under the page's session (docs/architecture.md, "The lean path").

Each thread keeps its connection from one lean answer to the next instead of taking it from the pool and
giving it back every time: on PostgreSQL a checkout costs a ping and the return a reset, both round trips.
A held connection is given back and replaced after the pool's `pool_recycle` (read from the pool's private
`_recycle`: SQLAlchemy is pinned to the minor version tested, pyproject.toml), when the engine is disposed,
and when a statement finds it broken: it is invalidated, and the lean path answers once more on a fresh one,
which the pool pings first, so a server restart between two answers costs no request a 503
(authenticity/fastpath.py).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

_CURRENT: ContextVar[Connection | None] = ContextVar("lean_work.connection", default=None)
_HELD_BY = "_lean_work_held"  # the engine's attribute: a threading.local with this thread's (connection, since)


def current() -> Connection | None:
    """The lean answer's connection, or None outside one."""
    return _CURRENT.get()


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
def transaction(engine: Engine, *, writes: bool = True) -> Iterator[Connection]:
    """This thread's held connection in a transaction; left without `commit`, what it wrote is rolled back.

    `writes=False`, for an answer that writes nothing: the connection runs in autocommit meanwhile, so each
    statement reads its own snapshot (as two requests would; PostgreSQL's READ COMMITTED gives each statement
    its own anyway) and PostgreSQL is spared the BEGIN and COMMIT round trips."""
    connection = _held(engine)
    dbapi = connection.connection.dbapi_connection
    if not writes:
        engine.dialect.set_isolation_level(dbapi, "AUTOCOMMIT")
    token = _CURRENT.set(connection)
    try:
        connection.begin()
        yield connection
    finally:
        _CURRENT.reset(token)
        if connection.invalidated:
            release(engine)
        else:
            if connection.in_transaction():
                connection.rollback()
            if not writes:
                engine.dialect.reset_isolation_level(dbapi)


def commit(session) -> None:
    """Commit what the lean answer wrote (and the session's pending changes if it made one), or, outside a
    lean answer, commit `session` as a view would."""
    connection = _CURRENT.get()
    if connection is None:
        session.commit()
        return
    if session.registry.has():
        session.flush()
    connection.commit()


class Session(FlaskSession):
    """Flask-SQLAlchemy's session, bound to the lean answer's connection while one runs."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind or _CURRENT.get() or super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
