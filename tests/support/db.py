"""The test database: which kind runs (PORTAL_TEST_DB), wiping it between tests, a free local port."""
from __future__ import annotations

import os
import socket

from sqlalchemy import text

from portal.extensions import db

DB_KIND = os.environ.get("PORTAL_TEST_DB", "sqlite")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wipe(app) -> None:
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    conn.execute(text(f"DELETE FROM {name}"))
        db.session.remove()
