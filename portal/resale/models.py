"""Ownership proofs for resale listings, and the portal's own platform key that signs them (docs/resale.md)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.catalog.models import Unit
from portal.core.db import UTCDateTime, str_enum, utcnow
from portal.extensions import db
from portal.ownership.models import Ownership, TransferOffer

#: How long an owner may choose a proof to hold, in days (docs/resale.md, "The owner's flow").
MIN_DAYS, MAX_DAYS = 1, 90


class SerialShown(StrEnum):
    """How much of the serial a proof shows: all of it, or only its last characters."""
    FULL = "full"
    MASKED = "masked"


class RevokedBecause(StrEnum):
    OWNER = "owner"  # the owner revoked it
    STOLEN = "stolen"  # the unit was reported stolen: every proof of it ends at once
    TRANSFERRED = "transferred"  # the unit changed hands: the proof no longer speaks for its holder


class OwnershipProof(db.Model):
    """A time-limited, revocable statement that the holder of `ownership` owns the unit, for a listing.

    The proof's public id is a 128-bit random token in its link. Only its SHA-256 is looked up
    (`token_hash`); the token itself is kept encrypted at rest (`token_enc`) so the owner's page can show the
    link and QR code again. Nothing about the owner is stored here beyond the ownership it speaks for.
    """

    __tablename__ = "ownership_proofs"
    __table_args__ = (
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
        Index("ix_ownership_proofs_unit_live", "unit_id", "revoked_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_enc: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    ownership_id: Mapped[int] = mapped_column(ForeignKey("ownerships.id"), index=True)
    serial_shown: Mapped[SerialShown] = mapped_column(str_enum(SerialShown, "serial_shown"), default=SerialShown.MASKED)
    include_service: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_because: Mapped[RevokedBecause | None] = mapped_column(str_enum(RevokedBecause, "proof_revoked_because"))
    #: The transfer the seller offered from this proof (ownership's own offer, with its one-time code).
    transfer_offer_id: Mapped[int | None] = mapped_column(ForeignKey("transfer_offers.id"))

    unit: Mapped[Unit] = relationship()
    ownership: Mapped[Ownership] = relationship()
    transfer_offer: Mapped[TransferOffer | None] = relationship()

    def is_live(self, now: datetime) -> bool:
        """Not revoked and not expired (the unit's own state is read by queries.proof_status)."""
        return self.revoked_at is None and self.expires_at > now


class PlatformKeyState(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class PlatformKey(db.Model):
    """The portal's own Ed25519 key, which signs what the portal itself vouches for (ownership proofs), as
    opposed to the manufacturers' label keys (authenticity/models.py). The private half is encrypted with the
    instance's key-encryption key (core/secrets.py); the public half is in the JWK set and the did:web document."""

    __tablename__ = "platform_keys"
    __table_args__ = (
        Index("uq_platform_keys_one_active", "state", unique=True,
              sqlite_where=text("state = 'active'"), postgresql_where=text("state = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(24), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    private_key_enc: Mapped[str] = mapped_column(Text)
    state: Mapped[PlatformKeyState] = mapped_column(str_enum(PlatformKeyState, "platform_key_state"),
                                                    default=PlatformKeyState.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
