"""Passport tables: the kind of each model's passport, append-only versions of its data (per model, lot and
unit), lifecycle links between passports, and the reading rights granted to people."""
from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, str_enum, utcnow
from portal.extensions import db
from portal.passport.fields import Kind


class Subject(StrEnum):
    MODEL = "model"
    LOT = "lot"
    UNIT = "unit"


class GrantTier(StrEnum):
    LEGITIMATE_INTEREST = "legitimate_interest"
    AUTHORITY = "authority"


class PassportModel(db.Model):
    """A product model that has a passport, and its kind (battery, generic)."""

    __tablename__ = "passport_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("product_models.id"), unique=True)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind, "passport_kind"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PassportVersion(db.Model):
    """One version of the data of a model, a lot or a unit: the whole data of that subject as it then stood.

    Rows are only ever added; the subject's current data is its highest number."""

    __tablename__ = "passport_versions"
    __table_args__ = (UniqueConstraint("subject", "subject_id", "number", name="uq_passport_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("product_models.id"), index=True)
    subject: Mapped[Subject] = mapped_column(str_enum(Subject, "passport_subject"))
    subject_id: Mapped[int] = mapped_column()
    number: Mapped[int] = mapped_column()
    data: Mapped[str] = mapped_column(Text)  # JSON: field key -> value
    changed: Mapped[str] = mapped_column(Text, default="[]")  # JSON: the keys this version changed
    source: Mapped[str] = mapped_column(String(20))  # console, import, api, epcis, lifecycle, demo
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def values(self) -> dict:
        return json.loads(self.data)

    @property
    def changed_keys(self) -> list[str]:
        return json.loads(self.changed)


class PassportLifecycle(db.Model):
    """What happened to a unit's passport: issued after another (repurposing, remanufacturing) or ceased."""

    __tablename__ = "passport_lifecycles"

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True)
    predecessor_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(20), default="")  # repurposed, remanufactured, reused
    ceased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ceased_note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PassportGrant(db.Model):
    """A right to read a higher tier: for one manufacturer's passports, or every one (manufacturer_id NULL,
    granted by a platform admin). A revoked grant stays, with who revoked it and when."""

    __tablename__ = "passport_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    manufacturer_id: Mapped[int | None] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    tier: Mapped[GrantTier] = mapped_column(str_enum(GrantTier, "passport_grant_tier"))
    role: Mapped[str] = mapped_column(String(40))  # repairer, recycler, market surveillance...
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
