"""The transactional outbox: a notification row is written with the change that causes it."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_state_next_attempt_at", "state", "next_attempt_at"),
                      Index("ix_notifications_topic_state", "topic", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unique: the same cause never yields two notices.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    #: The cause a message belongs to, for counting and withdrawing its messages together (e.g. "recall:7");
    #: empty for one-off mail.
    topic: Mapped[str] = mapped_column(String(120), default="", server_default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="email")
    recipient: Mapped[str] = mapped_column(String(254))
    template: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    #: For notices written in bulk by one INSERT ... SELECT: rendered by the worker from this JSON context.
    context: Mapped[str] = mapped_column(Text, default="", server_default="")
    state: Mapped[DeliveryState] = mapped_column(
        str_enum(DeliveryState, "delivery_state"), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(500), default="")

    @property
    def message_id(self) -> str:
        """Stable across retries, so a receiving server can drop a duplicate."""
        return f"<notification-{self.id}@provenance>"
