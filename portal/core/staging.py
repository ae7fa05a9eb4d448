"""Uploads staged on first receipt, so a form that fails keeps its files (docs/security.md, Uploads).

A file sent with a form is checked and stored at once, with the same checks as when it is recorded
(`core.storage`), and kept for the person who sent it under a random token the form carries back. A failed
submit shows it by name with a remove button; the next submit uses it without sending it again; the record
that takes it claims it. Staged files expire after a day: the worker purges them, and so does
`flask --app portal uploads purge-staged`.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, utcnow
from portal.core.extensions import db
from portal.core.secrets import digest
from portal.core.storage import StoredFile, remove_stored, store_proof

#: How long a staged file waits for the form that will record it.
LIFETIME = timedelta(days=1)


class StagedUpload(db.Model):
    """A checked, stored file that a person sent with a form not yet accepted."""

    __tablename__ = "staged_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: sha256 of the token in the form: the table alone cannot be replayed into anyone's form.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Which form field it was sent for ("proof"), so a token cannot be replayed into another kind of file.
    purpose: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(80))
    mime: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(160))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    def as_stored(self) -> StoredFile:
        return StoredFile(key=self.key, mime=self.mime, name=self.name, size=self.size)


def stage(user_id: int, data: bytes, filename: str, *, purpose: str,
          store: Callable[[bytes, str], StoredFile] = store_proof) -> tuple[StagedUpload, str]:
    """Check and store `data` now (raises the store's Invalid, naming the field), and keep it for `user_id`.
    Returns the row and the token for the form. The caller commits, so a later refusal keeps the file."""
    stored = store(data, filename)
    token = secrets.token_urlsafe(24)
    row = StagedUpload(user_id=user_id, token_hash=digest(token), purpose=purpose, key=stored.key,
                       mime=stored.mime, name=stored.name[:160], size=stored.size)
    db.session.add(row)
    db.session.flush()
    return row, token


def staged(user_id: int, token: str | None, *, purpose: str) -> StagedUpload | None:
    """The file `user_id` staged under `token` for `purpose`, while it has not expired; else None."""
    if not token or not isinstance(token, str) or len(token) > 64:
        return None
    return db.session.scalar(select(StagedUpload).where(
        StagedUpload.token_hash == digest(token), StagedUpload.user_id == user_id, StagedUpload.purpose == purpose,
        StagedUpload.created_at > utcnow() - LIFETIME))


def claim(row: StagedUpload) -> StoredFile:
    """The record that takes the file now owns it: the staging row goes, the file stays."""
    stored = row.as_stored()
    db.session.delete(row)
    return stored


def discard(row: StagedUpload) -> None:
    """The person removed the file from the form: the row and the file go."""
    remove_stored(row.key)
    db.session.delete(row)


#: How often the worker purges (seconds).
PURGE_EVERY = 600
_last_purge = [float("-inf")]


def purge_due() -> bool:
    """True at most once per PURGE_EVERY seconds in this process: time for the worker to purge."""
    if time.monotonic() - _last_purge[0] < PURGE_EVERY:
        return False
    _last_purge[0] = time.monotonic()
    return True


def purge_expired(now: datetime | None = None) -> int:
    """Remove staged files older than LIFETIME, in one statement for the rows; returns how many went."""
    cutoff = (now or utcnow()) - LIFETIME
    keys = db.session.scalars(select(StagedUpload.key).where(StagedUpload.created_at <= cutoff)).all()
    if not keys:
        return 0
    db.session.execute(delete(StagedUpload).where(StagedUpload.created_at <= cutoff))
    for key in keys:
        remove_stored(key)
    return len(keys)


def forget(user_id: int) -> list[str]:
    """An erasure: `user_id`'s staged rows go; returns their files' keys for the erasure to delete."""
    keys = list(db.session.scalars(select(StagedUpload.key).where(StagedUpload.user_id == user_id)))
    db.session.execute(delete(StagedUpload).where(StagedUpload.user_id == user_id))
    return keys
