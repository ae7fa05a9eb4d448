"""Write notifications into the outbox, and deliver due ones.

`enqueue` (one message) and `enqueue_many` (one INSERT ... SELECT for a whole set of recipients) run inside the
transaction of the change that causes the notice (docs/architecture.md, invariant 5); the unique dedupe key
makes a repeated cause a no-op. A `topic` names the cause a message belongs to (a campaign, say), so its
area can count or withdraw them without knowing the outbox's columns (`withdraw`, queries.count).
`deliver_due` is what the worker runs.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from flask import current_app, g, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy import Select, String, cast, func, insert, literal, null, select, true, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.core.db import UTCDateTime, utcnow
from portal.core.i18n import current_language, user_locale
from portal.extensions import db
from portal.notifications.delivery import (
    LOCK_CLASS,
    MAX_ATTEMPTS,
    Outcomes,
    Transport,
    batch_size,
    claim_batch,
)
from portal.notifications.mime import compose
from portal.notifications.models import DeliveryState, Notification

__all__ = ["MAX_ATTEMPTS", "deliver_due", "enqueue", "enqueue_many", "register_renderer", "withdraw"]

log = logging.getLogger(__name__)
Rendered = tuple[str, str, str]
#: Renderers for notices written in bulk without a body (template name -> (subject, text, html)).
RENDERERS: dict[str, Callable[[Notification], Rendered]] = {}
#: Optional batch renderers: all of a claimed batch's notes of the template at once -> {note id: rendered}.
BATCH_RENDERERS: dict[str, Callable[[list[Notification]], dict[int, Rendered]]] = {}


def register_renderer(template: str, render: Callable[[Notification], Rendered], *,
                      batch: Callable[[list[Notification]], dict[int, Rendered]] | None = None) -> None:
    """Render outbox rows of `template` at send time with `render` (subject, text, HTML); areas register theirs
    in their init_app. `batch`, when given, renders all of a claimed batch's rows of the template in one call
    (one query for what they share, the common parts once per language) and returns {note id: (subject, text,
    HTML)}; a row it leaves out, or all of them if it raises, go through `render`."""
    RENDERERS[template] = render
    if batch is not None:
        BATCH_RENDERERS[template] = batch
    else:
        BATCH_RENDERERS.pop(template, None)


#: Senders of the channels other than e-mail (channel -> send(note)); an area registers its own in its init_app
#: (resale: "webhook"). A sender raises to have the message retried with backoff, `Unsendable` to give it up.
CHANNELS: dict[str, Callable[[Notification], None]] = {}


def register_channel(channel: str, send: Callable[[Notification], None]) -> None:
    CHANNELS[channel] = send


def enqueue_message(*, channel: str, recipient: str, template: str, subject: str, dedupe_key: str, context: str,
                    topic: str = "") -> Notification:
    """An outbox row of another channel than e-mail, whose registered sender reads `context` at delivery. Like
    every outbox row, it is written in the caller's transaction (invariant 5) and its dedupe key is unique."""
    existing = db.session.scalar(select(Notification).where(Notification.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    note = Notification(dedupe_key=dedupe_key, topic=topic, channel=channel, recipient=recipient[:254],
                        template=template, subject=subject[:200], body_text="", context=context)
    db.session.add(note)
    db.session.flush()
    return note


def enqueue(*, recipient: str, template: str, subject, dedupe_key: str, user=None, topic: str = "",
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
            topic=topic,
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


def enqueue_many(recipients: Select, *, topic: str, template: str, subject: str, context: dict | None = None,
                 new_topic: bool = False) -> int:
    """One outbox row per row of `recipients`, in one INSERT ... SELECT; returns how many were written.

    `recipients` selects, by label: `key` (text, unique within the topic: the row's dedupe key is
    "<topic>:<key>"), `recipient` (the address), and optionally `user_id` and `context` (a JSON object as text
    for the renderer; without it every row gets `context`). The rows carry no body: the renderer registered
    for `template` writes each at send time, in its reader's language; `subject` is stored as a fallback.
    A key already in the outbox is skipped (ON CONFLICT DO NOTHING), so repeating a cause sends nothing twice;
    `new_topic=True` says no row of the topic can exist yet (a first launch) and spares that check, which
    costs on every row on PostgreSQL. The caller filters out erased or unconfirmed addresses."""
    if ":" in topic[-1:] or not topic:
        raise ValueError("a topic is a non-empty name that does not end with ':'")
    found = recipients.subquery()
    columns = found.c
    now = literal(utcnow(), UTCDateTime)
    rows = select(
        literal(f"{topic}:") + cast(columns.key, String), literal(topic),
        columns.user_id if "user_id" in columns else null(), literal("email"), columns.recipient,
        literal(template), literal(str(subject)[:200]), literal(""), literal(""),
        columns.context if "context" in columns else literal(json.dumps(context or {})),
        literal(DeliveryState.PENDING.value), literal(0), now, now, literal("")).where(true())  # SQLite needs a
    # WHERE before ON CONFLICT to tell it from a join's ON
    target = ["dedupe_key", "topic", "user_id", "channel", "recipient", "template", "subject", "body_text",
              "body_html", "context", "state", "attempts", "next_attempt_at", "created_at", "last_error"]
    if new_topic:
        stmt = insert(Notification)
    elif db.session.get_bind().dialect.name == "postgresql":
        stmt = postgresql_insert(Notification).on_conflict_do_nothing()
    else:
        stmt = sqlite_insert(Notification).on_conflict_do_nothing()
    before = None if new_topic else _topic_size(topic)
    db.session.execute(stmt.from_select(target, rows))
    return _topic_size(topic) - (before or 0)


def _topic_size(topic: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(Notification.topic == topic))


def withdraw(topic: str, *, reason: str = "withdrawn") -> int:
    """Stop the topic's messages not yet sent (they end dead, with `reason`); returns how many. On PostgreSQL
    the rows a worker has claimed are left to it (they go out and are recorded sent: at most a batch,
    delivery.BATCH_SIZE); the rest are locked the same way until the caller commits, so no worker takes them
    meanwhile. SQLite has one worker and no such locks."""
    stmt = update(Notification).where(Notification.topic == topic, Notification.state == DeliveryState.PENDING)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.where(func.pg_try_advisory_xact_lock(LOCK_CLASS, Notification.id))
    return db.session.execute(stmt.values(state=DeliveryState.DEAD, last_error=reason[:500])
                              .execution_options(synchronize_session=False)).rowcount


class Unsendable(Exception):
    """The message itself is at fault (a header the mail library refuses), so no retry could send it."""


def deliver_due(limit: int = 100, only_ids: list[int] | None = None) -> int:
    """Send up to `limit` due notifications in batches (portal.notifications.delivery); returns how many were
    sent. Each outcome is committed before the next message goes; the session's transaction holds the claim of
    the batch and is committed after it."""
    sent = done = 0
    db.session.commit()  # what the caller wrote is in (the outcomes go through a connection of their own)
    outcomes, transport = Outcomes(), Transport()
    try:
        while done < limit:
            notes = claim_batch(min(batch_size(), limit - done), only_ids)
            if not notes:
                break
            done += len(notes)
            sent += _deliver(notes, outcomes, transport)
            db.session.commit()  # ends the claim: rows still pending go back to the queue
    finally:
        transport.close()
        outcomes.close()
    return sent


def _deliver(notes: list[Notification], outcomes: Outcomes, transport: Transport) -> int:
    sent = 0
    rendered = _render_batches(notes)
    for note in notes:
        if note.channel in CHANNELS:
            sent += _send_on_channel(note, outcomes)
            continue
        try:
            msg = _message(note, *rendered.get(note.id) or _content(note))
        except (ValueError, TypeError) as err:  # e.g. a line break in the subject: the same every time
            outcomes.failed(note, f"cannot be sent: {err}", final=True)
            log.error("notification %s can never be sent: %s", note.id, err)
            continue
        except Exception as exc:  # noqa: BLE001 - a renderer's failure is retried later, like a transport's
            outcomes.failed(note, str(exc))
            log.warning("rendering notification %s failed: %s", note.id, exc)
            continue
        try:
            _hand_over(note, msg, transport)
        except Exception as exc:  # noqa: BLE001 - any transport failure is retried later
            outcomes.failed(note, str(exc))
            log.warning("delivery of notification %s failed: %s", note.id, exc)
        else:
            outcomes.sent(note)
            sent += 1
    return sent


def _send_on_channel(note: Notification, outcomes: Outcomes) -> int:
    """Hand a message of another channel to its sender; its outcome is recorded like a mail's."""
    try:
        CHANNELS[note.channel](note)
    except Unsendable as err:
        outcomes.failed(note, f"cannot be sent: {err}", final=True)
        log.error("notification %s can never be sent: %s", note.id, err)
        return 0
    except Exception as exc:  # noqa: BLE001 - any failure of the receiving end is retried later
        outcomes.failed(note, str(exc))
        log.warning("delivery of notification %s failed: %s", note.id, exc)
        return 0
    outcomes.sent(note)
    return 1


def _content(note: Notification) -> tuple[str, str, str]:
    """(subject, text, HTML): as written at enqueue, or by the template's renderer at send time."""
    if not note.body_text and note.template in RENDERERS:
        return RENDERERS[note.template](note)
    return note.subject, note.body_text, note.body_html


def _render_batches(notes: list[Notification]) -> dict[int, tuple[str, str, str]]:
    """What batch renderers make for their templates' notes in one call each; a failing batch renderer leaves
    its notes to the one-by-one renderer, so one bad row cannot hold back the others."""
    rendered: dict[int, tuple[str, str, str]] = {}
    for template, render_many in BATCH_RENDERERS.items():
        mine = [n for n in notes if n.template == template and not n.body_text]
        if mine:
            try:
                rendered.update(render_many(mine))
            except Exception:
                log.exception("batch rendering of %s failed; rendering one by one", template)
    return rendered


def mail_folder() -> Path:
    """Without SMTP settings, messages are written here as .eml files (the demo shows real messages)."""
    return Path(current_app.config.get("MAIL_FOLDER") or Path(current_app.instance_path) / "mail")


def build_message(note: Notification, subject: str | None = None, text: str | None = None,
                  html: str | None = None) -> EmailMessage:
    """The message of `note`, with the content given (rendered at send time) or the content stored."""
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = note.recipient
    msg["Subject"] = note.subject if subject is None else subject
    msg["Message-ID"] = note.message_id
    msg["Date"] = formatdate(note.created_at.timestamp())
    msg.set_content(note.body_text if text is None else text)
    html = note.body_html if html is None else html
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def _message(note: Notification, subject: str, text: str, html: str) -> bytes | EmailMessage:
    """The bytes of the message composed in one pass (notifications.mime), or, for what that leaves, the
    EmailMessage of build_message."""
    composed = compose(sender=current_app.config["MAIL_FROM"], recipient=note.recipient, subject=subject,
                       message_id=note.message_id, date=formatdate(note.created_at.timestamp()), text=text,
                       html=html)
    return composed if composed is not None else build_message(note, subject, text, html)


def _hand_over(note: Notification, msg: bytes | EmailMessage, transport: Transport) -> None:
    if current_app.config.get("MAIL_SERVER"):
        transport.send(msg, (current_app.config["MAIL_FROM"], note.recipient) if isinstance(msg, bytes) else None)
        return
    folder = mail_folder()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{note.id}.eml").write_bytes(bytes(msg))
    log.warning("MAIL_SERVER is not set; mail to %s written to %s", note.recipient, folder / f"{note.id}.eml")
