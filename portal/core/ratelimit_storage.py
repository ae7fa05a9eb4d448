"""A rate-limit counter store in one SQLite file, shared by every process on the machine.

Flask-Limiter's default `memory://` counts in each process: with gunicorn's workers a limit of 10 a
minute lets 10 through per worker. `RATELIMIT_STORAGE_URI = "sqlite:////path/ratelimits.sqlite3"` counts
in a file every worker opens (fixed windows, one short write transaction per hit), which is what
`make serve` uses. Several machines share Redis instead (docs/deploy.md). Losing the file resets the
counters and nothing else.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import ClassVar

from limits.storage import Storage

_SCHEMA = "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expiry REAL NOT NULL)"


class SQLiteFileStorage(Storage):
    STORAGE_SCHEME: ClassVar[list[str]] = ["sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        self.path = Path(uri.removeprefix("sqlite://"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connect() as conn:
            conn.execute(_SCHEMA)
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        conn, now = self._connect(), time.time()
        conn.execute("BEGIN IMMEDIATE")  # one writer at a time across processes: no lost increments
        try:
            conn.execute("DELETE FROM counters WHERE key = ? AND expiry <= ?", (key, now))
            conn.execute("INSERT INTO counters (key, value, expiry) VALUES (?, ?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = value + excluded.value", (key, amount, now + expiry))
            value = conn.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()[0]
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return value

    def get(self, key: str) -> int:
        row = self._connect().execute("SELECT value FROM counters WHERE key = ? AND expiry > ?",
                                      (key, time.time())).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._connect().execute("SELECT expiry FROM counters WHERE key = ?", (key,)).fetchone()
        return row[0] if row else time.time()

    def check(self) -> bool:
        try:
            self._connect().execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connect().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connect().execute("DELETE FROM counters WHERE key = ?", (key,))
