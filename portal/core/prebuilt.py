"""Statements for the hottest path (the verdict): compiled once per process, run straight on the DBAPI cursor.

SQLAlchemy's work per execution (an execution context, result metadata, the session's bookkeeping)
costs several times what the database spends answering an indexed lookup. A Prebuilt keeps what that
work produces for one statement: the SQL for the database in use, the order of its parameters, and the
conversions of each parameter and column, which are the column types' own. So values go in and come
out exactly as through the ORM (timezone-aware UTC datetimes, enum members, booleans), inside the
session's transaction: `db.session.commit()` commits what a Prebuilt wrote, a rollback undoes it. In a lean
answer it runs on the answer's connection in autocommit instead (core/lean_work.py): a write is kept as it
runs.

What it does not do: flush ORM changes pending in the session first, fire engine events, or expand
lists at execution (write enum lists with `core.db.is_one_of`). A database error comes out as
SQLAlchemy's own exception class, so the outage handler answers 503 as for any other query.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable

from portal.core import lean_work
from portal.core.extensions import db


class _Compiled:
    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.literal_execute_params or compiled.escaped_bind_names:
            raise ValueError("a Prebuilt cannot expand parameters at execution (use core.db.is_one_of for lists)")
        self.sql = compiled.string
        self.positional = compiled.positional
        names = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
        self.binds = [(name, compiled.binds[name].required, compiled.binds[name].value,
                       compiled.binds[name].type._cached_bind_processor(dialect)) for name in names]
        self._types, self._dialect = [column[3] for column in compiled._result_columns], dialect
        self.returns_rows = bool(self._types)
        self.writes = bool(compiled.isinsert or compiled.isupdate or compiled.isdelete)
        self.columns: list | None = None  # made at the first answer: some depend on the driver's type codes

    def converters(self, cursor) -> list:
        """Each column's conversion; the cursor's description is read only the first time (psycopg builds it
        anew at every access)."""
        if self.columns is None:
            self.columns = [kind._cached_result_processor(self._dialect, column[1])
                            for kind, column in zip(self._types, cursor.description, strict=True)]
        return self.columns

    def parameters(self, given: dict[str, Any]):
        values = []
        for name, required, preset, convert in self.binds:
            if name in given:
                value = given[name]
            elif required:
                raise KeyError(f"the statement needs a value for {name!r}")
            else:
                value = preset
            values.append(convert(value) if convert is not None and value is not None else value)
        return values if self.positional else dict(zip((b[0] for b in self.binds), values, strict=True))

    def row(self, raw: tuple | None, cursor) -> tuple | None:
        if raw is None:
            return None
        return tuple(value if convert is None or value is None else convert(value)
                     for convert, value in zip(self.converters(cursor), raw, strict=True))


_HELD = "prebuilt.connection"


def session_connection():
    """The session's Connection for its current transaction, looked up through the session once per
    transaction: on the verdict path the session's own lookup (`db.session.connection()`, three calls deep)
    cost more than the indexed statements it served. A commit or rollback ends the transaction, so the next
    call asks the session again and gets the next transaction's connection (`_transaction` is the session's
    current transaction: SQLAlchemy is pinned to the minor version tested, pyproject.toml). Inside a lean
    answer, its connection (core/lean_work.py): no session is made."""
    lean = lean_work.current()
    if lean is not None:
        return lean
    session = db.session()
    held = session.info.get(_HELD)
    transaction = session._transaction
    if held is not None and transaction is not None and held[0] is transaction and transaction.is_active:
        return held[1]
    connection = session.connection()
    session.info[_HELD] = (session._transaction, connection)
    return connection


class Prebuilt:
    """`build()` makes the statement (with named bindparams) the first time a database needs it."""

    def __init__(self, build: Callable[[], Executable]):
        self._build = build
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def first(self, params: dict[str, Any]) -> tuple | None:
        """Run in the session's transaction (or the lean answer's autocommit); the first row, converted, or None."""
        return self._run(params, lambda compiled, cursor: compiled.row(cursor.fetchone(), cursor))

    def all(self, params: dict[str, Any]) -> list[tuple]:
        """Run as `first`; every row, converted."""
        return self._run(params, lambda compiled, cursor: [compiled.row(raw, cursor) for raw in cursor.fetchall()]) \
            or []

    def _run(self, params: dict[str, Any], read: Callable[[_Compiled, Any], Any]):
        connection = session_connection()
        dialect = connection.dialect
        compiled = self._compiled.get((dialect.name, dialect.driver))
        if compiled is None:
            compiled = self._compiled[(dialect.name, dialect.driver)] = _Compiled(self._build(), dialect)
        parameters = compiled.parameters(params)
        raw = connection.connection
        cursor = raw.cursor()
        try:
            cursor.execute(compiled.sql, parameters)
            if compiled.writes:
                lean_work.wrote()  # in a lean answer's autocommit, written for good
            return read(compiled, cursor) if compiled.returns_rows else None
        except dialect.loaded_dbapi.Error as err:
            gone = dialect.is_disconnect(err, raw.dbapi_connection, cursor)
            if gone:
                connection.invalidate(err)  # the pool makes a new connection instead of handing this one out again
            raise DBAPIError.instance(compiled.sql, parameters, err, dialect.loaded_dbapi.Error,
                                      connection_invalidated=gone, dialect=dialect) from err
        finally:
            with suppress(dialect.loaded_dbapi.Error):  # a cursor of a dropped connection may refuse to close
                cursor.close()
