"""Worker heartbeats: each outbox worker stamps its row every loop, so /readyz can tell a stalled worker."""
from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, utcnow
from portal.extensions import db

#: Rows of workers that stopped beating this long ago are pruned (a restart gets a new pid, so a new row).
FORGET_AFTER = timedelta(days=1)


class WorkerHeartbeat(db.Model):
    __tablename__ = "worker_heartbeats"

    #: host:pid, unique per running worker process.
    worker: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def beat(name: str | None = None) -> None:
    """Stamp this worker's row and commit. Each worker writes only its own row, so beats never contend."""
    name = name or worker_name()
    now = utcnow()
    row = db.session.get(WorkerHeartbeat, name)
    if row is None:
        db.session.add(WorkerHeartbeat(worker=name, started_at=now, beat_at=now))
        db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - FORGET_AFTER))
    else:
        row.beat_at = now
    db.session.commit()


def newest_beat() -> datetime | None:
    return db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
