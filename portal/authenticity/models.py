"""Signing keys, printed labels, scans, clone alerts, counterfeit reports and NFC tags."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.catalog.models import Unit
from portal.core.db import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class KeyState(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"
    REVOKED = "revoked"


class SigningKey(db.Model):
    """An Ed25519 key of one manufacturer. The private half is stored encrypted and never leaves the service."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        Index("uq_signing_keys_one_active", "manufacturer_id", unique=True,
              sqlite_where=text("state = 'active'"), postgresql_where=text("state = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    kid: Mapped[str] = mapped_column(String(16), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    private_key_enc: Mapped[str] = mapped_column(Text)
    state: Mapped[KeyState] = mapped_column(str_enum(KeyState, "key_state"), default=KeyState.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(String(300), default="")

    manufacturer: Mapped[Manufacturer] = relationship()  # noqa: F821


class LabelState(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    COMPROMISED = "compromised"


class Label(db.Model):
    """One printed code of a unit. Its number is signed, so a copied code can be retired alone."""

    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("unit_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    number: Mapped[int] = mapped_column(Integer)
    kid: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[LabelState] = mapped_column(str_enum(LabelState, "label_state"), default=LabelState.ACTIVE)
    state_reason: Mapped[str] = mapped_column(String(300), default="")
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()


class Scan(db.Model):
    """A look at a unit through its code or tag. No personal data: the client is a daily-rotated hash."""

    __tablename__ = "scans"
    __table_args__ = (Index("ix_scans_unit_id_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    label_number: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(8), default="qr")
    verdict: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(40), default="")
    client: Mapped[str] = mapped_column(String(32), default="")
    by_owner: Mapped[bool] = mapped_column(default=False)
    #: Rounded to 0.1 degree (about 11 km), and only when the person scanning agreed to share it.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    nfc_counter: Mapped[int | None] = mapped_column(Integer)


class AlertState(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    CONFIRMED = "confirmed"


class CloneAlert(db.Model):
    __tablename__ = "clone_alerts"
    __table_args__ = (
        Index("uq_clone_alerts_open_unit", "unit_id", unique=True,
              sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    label_number: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    evidence: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[AlertState] = mapped_column(str_enum(AlertState, "alert_state"), default=AlertState.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    unit: Mapped[Unit] = relationship()


class CounterfeitReport(db.Model):
    """Someone suspects a fake. Lands in the console of the manufacturer whose GTIN it carries."""

    __tablename__ = "counterfeit_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int | None] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    gtin: Mapped[str] = mapped_column(String(14), default="")
    serial: Mapped[str] = mapped_column(String(20), default="")
    code_text: Mapped[str] = mapped_column(String(500), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    where_seen: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(254), default="")
    photo_key: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NfcTag(db.Model):
    """SDM keys of a unit's NTAG 424 DNA tag (encrypted) and the last tap counter accepted."""

    __tablename__ = "nfc_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True)
    meta_key_enc: Mapped[str | None] = mapped_column(Text)
    file_key_enc: Mapped[str | None] = mapped_column(Text)
    last_counter: Mapped[int] = mapped_column(Integer, default=-1)
    last_tap_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LabelRun(db.Model):
    """A label sheet being printed. Large runs render in the background and show their progress."""

    __tablename__ = "label_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    gtin: Mapped[str] = mapped_column(String(14))
    lot: Mapped[str] = mapped_column(String(20), default="")
    serial_from: Mapped[str] = mapped_column(String(20), default="")
    serial_to: Mapped[str] = mapped_column(String(20), default="")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    #: queued -> running -> done (or failed); a run left "running" by a dead process is picked up again.
    state: Mapped[str] = mapped_column(String(10), default="queued")
    file_key: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
