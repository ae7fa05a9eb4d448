"""Write notifications into the outbox, and deliver due ones.

`enqueue` runs inside the transaction of the change that causes the notice (docs/architecture.md, invariant 5); the
unique dedupe key makes a repeated cause a no-op. `deliver_due` is what the worker runs.
"""
from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from flask import current_app, g, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy import select

from portal.core.db import utcnow
from portal.core.i18n import current_language, user_locale
from portal.extensions import db
from portal.notifications.models import DeliveryState, Notification

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
#: Renderers for notices written in bulk without a body (template name -> (subject, text, html)).
RENDERERS: dict[str, Callable[[Notification], tuple[str, str, str]]] = {}


def register_renderer(template: str, render: Callable[[Notification], tuple[str, str, str]]) -> None:
    """Render outbox rows of `template` at send time with `render` (subject, text, HTML); areas register theirs
    in their init_app."""
    RENDERERS[template] = render


def enqueue(*, recipient: str, template: str, subject, dedupe_key: str, user=None,
            **context) -> Notification | None:
    """Render `templates/mail/<template>.txt` (and `.html` when present) into an outbox row.

    The change that causes a notice is often someone else's request (an agent deciding a claim), so
    the message is written in the recipient's language, not the asker's: pass `subject` as a
    lazy_gettext string and it is translated here too. Without a user, the current reader's language.
    Nothing is written for an erased account: its address is a tombstone and the person asked for silence.
    """
    if getattr(user, "erased_at", None) is not None:
        return None
    existing = db.session.scalar(select(Notification).where(Notification.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    context.setdefault("base_url", current_app.config["BASE_URL"].rstrip("/"))
    with force_locale(user_locale(user) if user is not None else current_language()):
        note = Notification(
            dedupe_key=dedupe_key,
            user_id=getattr(user, "id", None),
            recipient=recipient,
            template=template,
            subject=str(subject)[:200],
            body_text=render_template(f"mail/{template}.txt", **context),
            body_html=_render_optional(f"mail/{template}.html", context),
        )
    db.session.add(note)
    db.session.flush()
    g.setdefault("outbox_ids", []).append(note.id)
    return note


def _render_optional(name: str, context: dict) -> str:
    try:
        return render_template(name, **context)
    except TemplateNotFound:  # a notice without an HTML part goes as plain text
        return ""


class Unsendable(Exception):
    """The message itself is at fault (a header the mail library refuses), so no retry could send it."""


def deliver_due(limit: int = 100, only_ids: list[int] | None = None) -> int:
    """Send up to `limit` due notifications; returns how many were sent. Commits per message."""
    sent = 0
    for _ in range(limit):
        note = _claim_next(only_ids)
        if note is None:
            break
        try:
            _send(note)
        except Unsendable as exc:  # retrying cannot help: dead at once, with the reason
            note.attempts += 1
            note.state = DeliveryState.DEAD
            note.last_error = f"cannot be sent: {exc}"[:500]
            log.error("notification %s can never be sent: %s", note.id, exc)
        except Exception as exc:  # noqa: BLE001 - any transport failure is retried later
            note.attempts += 1
            note.last_error = str(exc)[:500]
            if note.attempts >= MAX_ATTEMPTS:
                note.state = DeliveryState.DEAD
            else:
                note.next_attempt_at = utcnow() + timedelta(seconds=30 * 2 ** note.attempts)
            log.warning("delivery of notification %s failed: %s", note.id, exc)
        else:
            note.attempts += 1
            note.state = DeliveryState.SENT
            note.sent_at = utcnow()
            sent += 1
        db.session.commit()
    return sent


def _claim_next(only_ids: list[int] | None) -> Notification | None:
    stmt = (
        select(Notification)
        .where(Notification.state == DeliveryState.PENDING, Notification.next_attempt_at <= utcnow())
        .order_by(Notification.id)
        .limit(1)
    )
    if only_ids is not None:
        stmt = stmt.where(Notification.id.in_(only_ids))
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # several workers share the queue
    return db.session.scalar(stmt)


def mail_folder() -> Path:
    """Without SMTP settings, messages are written here as .eml files (the demo shows real messages)."""
    return Path(current_app.config.get("MAIL_FOLDER") or Path(current_app.instance_path) / "mail")


def build_message(note: Notification) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = note.recipient
    msg["Subject"] = note.subject
    msg["Message-ID"] = note.message_id
    msg["Date"] = formatdate(note.created_at.timestamp())
    msg.set_content(note.body_text)
    if note.body_html:
        msg.add_alternative(note.body_html, subtype="html")
    return msg


def _send(note: Notification) -> None:
    cfg = current_app.config
    if not note.body_text and note.template in RENDERERS:
        note.subject, note.body_text, note.body_html = RENDERERS[note.template](note)
    try:
        msg = build_message(note)
    except (ValueError, TypeError) as err:  # e.g. a line break in the subject: the same every time
        raise Unsendable(str(err)) from err
    if not cfg.get("MAIL_SERVER"):
        folder = mail_folder()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{note.id}.eml").write_bytes(bytes(msg))
        log.warning("MAIL_SERVER is not set; mail to %s written to %s", note.recipient, folder / f"{note.id}.eml")
        return
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(msg)
