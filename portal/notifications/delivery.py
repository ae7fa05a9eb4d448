"""The outbox worker's machinery: claiming a batch, one SMTP connection for it, and recording each outcome.

Claiming. A batch is the due rows a worker takes at once (`BATCH_SIZE`, or the MAIL_BATCH_SIZE setting).
On PostgreSQL each claimed row carries a transaction-level advisory lock (`pg_try_advisory_xact_lock`) taken in
the session's transaction, which stays open while the batch is sent: another worker's claim skips rows locked
so, and a worker that dies (kill -9 included) drops its connection, so its locks go with it and its unsent rows
are claimable at once, with no lease to wait out. SQLite has no such locks: one worker per SQLite database.

Recording. Each outcome is written and committed on a connection of its own in autocommit (one statement, one
round trip) as soon as the server has answered, before the next message is handed over. The session's
transaction, which holds the claims, only reads. So a kill repeats at most the one message the server had
taken but whose answer was not yet recorded (at-least-once, as before batching), and never loses one.
"""
from __future__ import annotations

import contextlib
import smtplib
from datetime import timedelta
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import Connection, bindparam, func, select, update

from portal.core.db import UTCDateTime, utcnow
from portal.extensions import db
from portal.notifications.models import DeliveryState, Notification

#: Rows a worker claims at once. A kill repeats at most one message whatever this is; it bounds the rows a
#: worker keeps from others while it sends, and how many notices a withdrawal can no longer stop.
BATCH_SIZE = 100
#: The advisory lock class of outbox rows (the first key of the two-key form; the row id is the second).
LOCK_CLASS = 0x0B0C
#: How far past the first due row a claim looks for rows no other worker holds (in batches).
WINDOW = 8
MAX_ATTEMPTS = 8


def batch_size() -> int:
    return max(1, int(current_app.config.get("MAIL_BATCH_SIZE") or BATCH_SIZE))


def claim_batch(limit: int, only_ids: list[int] | None = None) -> list[Notification]:
    """Due pending rows, at most `limit`, claimed for this worker until the session's transaction ends."""
    now = utcnow()
    due = (Notification.state == DeliveryState.PENDING, Notification.next_attempt_at <= now)
    candidates = select(Notification.id).where(*due).order_by(Notification.next_attempt_at)
    if only_ids is not None:
        candidates = candidates.where(Notification.id.in_(only_ids))
    if db.session.get_bind().dialect.name == "postgresql":
        window = candidates.limit(limit * WINDOW).subquery()
        ids = list(db.session.scalars(select(window.c.id).where(
            func.pg_try_advisory_xact_lock(LOCK_CLASS, window.c.id)).limit(limit)))
        if not ids:
            return []
        # Read again under the locks: a row another worker finished just before it let go is no longer due.
        candidates = select(Notification.id).where(Notification.id.in_(ids), *due)
    else:
        candidates = candidates.limit(limit)
    return list(db.session.scalars(select(Notification).where(Notification.id.in_(candidates.scalar_subquery()))
                                   .order_by(Notification.id)))


_SENT = (update(Notification).where(Notification.id == bindparam("note_id"),
                                    Notification.state == DeliveryState.PENDING)
         .values(state=DeliveryState.SENT, attempts=Notification.attempts + 1,
                 sent_at=bindparam("now", type_=UTCDateTime)))
_FAILED = (update(Notification).where(Notification.id == bindparam("note_id"))
           .values(state=bindparam("new_state"), attempts=Notification.attempts + 1,
                   last_error=bindparam("error"), next_attempt_at=bindparam("retry_at", type_=UTCDateTime)))


class Outcomes:
    """Writes each message's outcome at once, on an autocommit connection of its own."""

    def __init__(self) -> None:
        self.conn: Connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def sent(self, note: Notification) -> None:
        self.conn.execute(_SENT, {"note_id": note.id, "now": utcnow()})

    def failed(self, note: Notification, error: str, *, final: bool = False) -> None:
        """Retried later with exponential backoff (30 s x 2^attempts), or dead after MAX_ATTEMPTS or when
        `final` (the message itself can never be sent)."""
        attempts = note.attempts + 1
        dead = final or attempts >= MAX_ATTEMPTS
        retry_at = note.next_attempt_at if dead else utcnow() + timedelta(seconds=30 * 2 ** attempts)
        self.conn.execute(_FAILED, {"note_id": note.id, "error": error[:500], "retry_at": retry_at,
                                    "new_state": (DeliveryState.DEAD if dead else DeliveryState.PENDING).value})

    def close(self) -> None:
        self.conn.close()


class Transport:
    """One SMTP connection, opened for the first message and kept for the rest; a broken one is replaced."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None

    def send(self, msg, envelope: tuple[str, str] | None = None) -> None:
        """Hand `msg` over: an EmailMessage, or the bytes of one (mime.compose) with its (sender, recipient)."""
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            if envelope is None:
                self.smtp.send_message(msg)
            else:
                self.smtp.sendmail(parseaddr(envelope[0])[1], [parseaddr(envelope[1])[1]], msg)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
            raise  # smtplib has reset the transaction: the connection serves the next message
        except Exception:
            self._drop()
            raise

    @staticmethod
    def _connect() -> smtplib.SMTP:
        cfg = current_app.config
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20)
        try:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        except Exception:
            smtp.close()
            raise
        return smtp

    def _drop(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(Exception):  # the outcomes are recorded; a failed goodbye changes nothing
                self.smtp.quit()
            self._drop()
