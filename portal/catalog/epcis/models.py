"""Captured EPCIS events: the eventID of each event a tenant's systems sent, so a re-send changes nothing."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, utcnow
from portal.extensions import db


class CapturedEvent(db.Model):
    """One accepted EPCIS event; its unit events carry the eventID in their note.

    The unique (tenant, eventID) pair is the real guard against recording an event twice: two captures of
    the same document racing each other both reach the insert, and only one commits.
    """

    __tablename__ = "epcis_events"
    __table_args__ = (
        UniqueConstraint("manufacturer_id", "event_id"),
        CheckConstraint("units >= 0", name="units_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"))
    #: The event's eventID, or for an event without one a hash of its content ("content-sha256:...").
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(40))
    action: Mapped[str | None] = mapped_column(String(10))
    #: The bizStep as a CBV word, or the URI of a company's own step; empty when the event gave none.
    biz_step: Mapped[str] = mapped_column(String(255), default="")
    event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Unit events recorded for it (one per unit it named).
    units: Mapped[int] = mapped_column(Integer, default=0)
