"""Who owns which unit, since when, and the hand-overs between owners."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.catalog.models import Unit
from portal.core.db import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class Ownership(db.Model):
    __tablename__ = "ownerships"
    __table_args__ = (
        # docs/architecture.md, invariant 2: at most one current ownership per unit, enforced by the database itself.
        Index(
            "uq_ownerships_current_unit",
            "unit_id",
            unique=True,
            sqlite_where=text("until IS NULL"),
            postgresql_where=text("until IS NULL"),
        ),
        CheckConstraint("until IS NULL OR until >= since", name="until_after_since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How the ownership began: "registration" or "transfer".
    source: Mapped[str] = mapped_column(String(20), default="registration")
    #: Why it ended: "transferred", or empty while current.
    ended_reason: Mapped[str] = mapped_column(String(20), default="")
    purchased_on: Mapped[date | None] = mapped_column(Date)
    retailer: Mapped[str] = mapped_column(String(160), default="")
    #: ISO 3166-1 alpha-2 country where the owner bought or lives, when they gave it (insights' country).
    country: Mapped[str | None] = mapped_column(String(2))
    proof_key: Mapped[str | None] = mapped_column(String(80))
    proof_mime: Mapped[str | None] = mapped_column(String(60))
    proof_name: Mapped[str | None] = mapped_column(String(160))
    proof_size: Mapped[int | None] = mapped_column(Integer)

    unit: Mapped[Unit] = relationship()
    owner: Mapped[User] = relationship()

    @hybrid_property
    def is_current(self) -> bool:
        """The unit's present ownership (it has not ended); in a query, `ownerships.until IS NULL`, the
        condition of the partial unique index (invariant 2)."""
        return self.until is None

    @is_current.inplace.expression
    @classmethod
    def _is_current_expression(cls):
        return cls.until.is_(None)


class TransferState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"


class TransferOffer(db.Model):
    """A seller's one-time code; only its hash is stored."""

    __tablename__ = "transfer_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    ownership_id: Mapped[int] = mapped_column(ForeignKey("ownerships.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[TransferState] = mapped_column(str_enum(TransferState, "transfer_state"), default=TransferState.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ownership: Mapped[Ownership] = relationship()


class OwnershipDispute(db.Model):
    """Someone says a unit registered to another person is theirs; the manufacturer looks into it."""

    __tablename__ = "ownership_disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    claimant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()
    claimant: Mapped[User] = relationship()
