"""Anchors for the head of the audit chain, so that removing its newest entries shows.

The hash chain (portal.core.audit) proves each entry follows the one before it, but deleting entries from
the end leaves a shorter chain that is still intact. A checkpoint records the head (newest entry's id and
hash, and how many entries lead up to it) with an HMAC under a key derived from SECRET_KEY, which is kept
in the application's configuration, not in the database. Checkpoints are appended to a file outside the
database (AUDIT_CHECKPOINT_FILE, by default instance/audit-checkpoints.jsonl): by the worker on a schedule
(AUDIT_CHECKPOINT_MINUTES), by `flask audit checkpoint`, and at every backup, whose manifest carries the
same checkpoint. `verify_head` checks the chain against the newest checkpoint it is given: someone able to
change the database but not the file or the configuration cannot remove entries up to that checkpoint
without it showing. Entries written after the newest checkpoint are covered once the next one is written.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.core.extensions import db

_FIELDS = ("at", "entry_id", "hash", "count")


def checkpoint_file() -> Path:
    configured = current_app.config.get("AUDIT_CHECKPOINT_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "audit-checkpoints.jsonl"


def _mac(checkpoint: dict) -> str:
    key = hmac.new(str(current_app.config["SECRET_KEY"]).encode(), b"provenance audit checkpoint",
                   hashlib.sha256).digest()
    message = json.dumps({k: checkpoint.get(k) for k in _FIELDS}, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def head_checkpoint() -> dict:
    """The chain's head now, signed: {"at", "entry_id", "hash", "count", "mac"} (entry_id 0 for an empty log)."""
    newest = db.session.execute(select(AuditEntry.id, AuditEntry.hash).where(~AuditEntry.hash.startswith("pending-"))
                                .order_by(AuditEntry.id.desc()).limit(1)).first()
    count = db.session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.id <= (newest.id if newest else 0)))
    checkpoint = {"at": utcnow().isoformat(timespec="seconds"), "entry_id": newest.id if newest else 0,
                  "hash": newest.hash if newest else "", "count": count}
    return {**checkpoint, "mac": _mac(checkpoint)}


def write_checkpoint() -> dict:
    """Append the head's checkpoint to the checkpoint file and return it."""
    checkpoint = head_checkpoint()
    path = checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(checkpoint, sort_keys=True) + "\n")
    path.chmod(0o600)
    return checkpoint


def checkpoint_due() -> bool:
    """Whether the worker should write a checkpoint now (none yet, or the newest is older than the interval)."""
    newest = newest_checkpoint()
    minutes = int(current_app.config.get("AUDIT_CHECKPOINT_MINUTES", 60))
    return newest is None or newest["at"] <= (utcnow() - timedelta(minutes=minutes)).isoformat(timespec="seconds")


def is_genuine(checkpoint: dict) -> bool:
    return isinstance(checkpoint, dict) and hmac.compare_digest(str(checkpoint.get("mac", "")), _mac(checkpoint))


def newest_checkpoint() -> dict | None:
    """The last line of the checkpoint file, or None when there is no file yet."""
    path = checkpoint_file()
    if not path.is_file():
        return None
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        return None
    try:
        return json.loads(lines[-1])
    except ValueError:
        return {"mac": "unreadable"}


def verify_head(checkpoint: dict) -> str | None:
    """Why the chain in the database does not reach `checkpoint`, or None when it does."""
    if not is_genuine(checkpoint):
        return "the checkpoint's signature does not match (it was altered, or made with another SECRET_KEY)"
    if not checkpoint["entry_id"]:
        return None
    found = db.session.scalar(select(AuditEntry.hash).where(AuditEntry.id == checkpoint["entry_id"]))
    if found is None:
        return (f"entry {checkpoint['entry_id']}, the newest at the checkpoint of {checkpoint['at']}, is gone: "
                "entries were removed from the end of the log")
    if found != checkpoint["hash"]:
        return f"entry {checkpoint['entry_id']} is not the one the checkpoint of {checkpoint['at']} recorded"
    count = db.session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.id <= checkpoint["entry_id"]))
    if count != checkpoint["count"]:
        return (f"{checkpoint['count']} entries led up to entry {checkpoint['entry_id']} at the checkpoint of "
                f"{checkpoint['at']}; {count} do now")
    return None
