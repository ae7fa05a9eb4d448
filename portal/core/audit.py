"""Hash-chained audit log: each entry's hash covers the previous hash, so an edit or deletion shows.

Writers are serialized while they link (an advisory lock on PostgreSQL; SQLite has one writer), so
the chain never forks.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, utcnow
from portal.core.extensions import db

GENESIS = "0" * 64
_LOCK_ID = 7_300_001


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    manufacturer_id: Mapped[int | None] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(80), default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def canonical(self) -> bytes:
        payload = {
            "at": self.at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "manufacturer_id": self.manufacturer_id,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "detail": self.detail,
        }
        return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.prev_hash.encode() + self.canonical()).hexdigest()


def log(actor, action: str, target=None, *, manufacturer_id: int | None = None, **detail) -> AuditEntry:
    """Append an entry linked to the newest one. `actor` is a User, a label such as "cli", or None."""
    session = db.session
    entry = AuditEntry(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or (actor if isinstance(actor, str) else ""),
        manufacturer_id=manufacturer_id if manufacturer_id is not None else getattr(target, "manufacturer_id", None),
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "id", "") or ""),
        detail=json.dumps(detail, sort_keys=True, default=str),
    )
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})
    else:
        # Writing first takes SQLite's write lock, so nobody links to the head we are about to read.
        entry.prev_hash = entry.hash = "pending-" + secrets.token_hex(24)
        session.add(entry)
        session.flush()
    head = session.scalar(
        select(AuditEntry.hash).where(~AuditEntry.hash.startswith("pending-")).order_by(AuditEntry.id.desc()).limit(1)
    )
    entry.prev_hash = head or GENESIS
    entry.hash = entry.compute_hash()
    session.add(entry)
    session.flush()
    return entry


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the chain in id order and report the first entry whose link or content does not hold."""
    expected_prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return ChainReport(checked)
        for entry in rows:
            if entry.prev_hash != expected_prev:
                return ChainReport(checked, entry.id, "it does not link to the entry before it (one was removed or inserted)")
            if entry.compute_hash() != entry.hash:
                return ChainReport(checked, entry.id, "its content no longer matches its hash (it was edited)")
            expected_prev = entry.hash
            checked += 1
            last_id = entry.id
        db.session.expunge_all()
