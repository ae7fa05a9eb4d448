"""Marketplaces and dealers as API clients of the platform (not of a manufacturer), and their webhook
subscriptions to ownership proofs' status changes (docs/resale.md, "Marketplace API")."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import UTCDateTime, utcnow
from portal.extensions import db
from portal.resale.models import OwnershipProof


class MarketplaceScope(StrEnum):
    VERIFY = "proofs:verify"
    SUBSCRIBE = "proofs:subscribe"


#: Printed before every marketplace token (`pvm_<prefix>_<secret>`), so a leaked one is recognisable.
MARKETPLACE_MARK = "pvm"


class MarketplaceClient(db.Model):
    """A marketplace or dealer, made by a platform admin. Its token's secret is kept only as a sha256 (256 random
    bits: a slow KDF adds nothing); the public prefix finds the row."""

    __tablename__ = "marketplace_clients"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="expires_after_created"),
                      CheckConstraint("length(secret_hash) = 64", name="secret_hash_sha256"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    #: Space-separated MarketplaceScope values.
    scopes: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def allows(self, scope: MarketplaceScope | str) -> bool:
        return str(scope) in self.scopes.split()


class WebhookSubscription(db.Model):
    """A client's request to hear about one proof's status changes at an https URL. The signing secret is shown
    once and kept encrypted at rest (the portal must sign with it at every delivery)."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("marketplace_clients.id"), index=True)
    proof_id: Mapped[int] = mapped_column(ForeignKey("ownership_proofs.id"), index=True)
    url: Mapped[str] = mapped_column(String(254))
    secret_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The proof state last announced (or current when subscribing): a change from it is an event.
    last_state: Mapped[str] = mapped_column(String(20))
    #: Events enqueued so far; the next one's outbox dedupe key is webhook:<id>:<events + 1>.
    events: Mapped[int] = mapped_column(Integer, default=0)

    client: Mapped[MarketplaceClient] = relationship()
    proof: Mapped[OwnershipProof] = relationship()
