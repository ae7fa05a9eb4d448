"""Many rows in one DBAPI executemany: what a capture writes per event, without SQLAlchemy's work per row.

An executemany through SQLAlchemy builds and processes each row's parameters in Python (several times the
database's own time for a narrow row). A Bulk statement is compiled once per database; each value goes
through its column type's own bind conversion (UTC datetimes, enum values), exactly as through the ORM,
and the rows go to the cursor's executemany inside the session's transaction, so the session's commit or
rollback (and savepoint) covers them. Errors come out as SQLAlchemy's own exceptions (IntegrityError ...).
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from sqlalchemy import bindparam, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable

from portal.extensions import db


class Bulk:
    def __init__(self, build: Callable[[], Executable]):
        self._build = build
        self._compiled: dict[tuple[str, str], tuple] = {}

    def _for(self, dialect) -> tuple:
        key = (dialect.name, dialect.driver)
        if key not in self._compiled:
            compiled = self._build().compile(dialect=dialect)
            if compiled.post_compile_params or compiled.literal_execute_params:
                raise ValueError("a Bulk statement cannot expand parameters at execution")
            names = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
            converters = [compiled.binds[name].type._cached_bind_processor(dialect) for name in names]
            self._compiled[key] = (compiled.string, compiled.positional, names, converters)
        return self._compiled[key]

    def run(self, rows: list[dict]) -> None:
        """Execute once per row of `rows` (dicts keyed by the statement's bind names)."""
        if not rows:
            return
        connection = db.session.connection()
        dialect = connection.dialect
        sql, positional, names, converters = self._for(dialect)
        pairs = list(zip(names, converters, strict=True))
        values = [[row[name] if convert is None or row[name] is None else convert(row[name])
                   for name, convert in pairs] for row in rows]
        parameters = values if positional else [dict(zip(names, row, strict=True)) for row in values]
        raw = connection.connection
        cursor = raw.cursor()
        try:
            cursor.executemany(sql, parameters)
        except dialect.loaded_dbapi.Error as err:
            gone = dialect.is_disconnect(err, raw.dbapi_connection, cursor)
            if gone:
                connection.invalidate(err)
            raise DBAPIError.instance(sql, parameters[:1], err, dialect.loaded_dbapi.Error,
                                      connection_invalidated=gone, dialect=dialect) from err
        finally:
            with suppress(dialect.loaded_dbapi.Error):
                cursor.close()


def insert_into(table, columns: list[str]) -> Bulk:
    """INSERT INTO table (columns) VALUES (one bind per column, named after it)."""
    return Bulk(lambda: insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in columns}))
