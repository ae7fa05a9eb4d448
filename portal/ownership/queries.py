"""Reads of ownership for pages (docs/architecture.md, "Reads and writes")."""
from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.ownership.models import Ownership, TransferOffer, TransferState


def open_offer_of(ownership: Ownership) -> TransferOffer | None:
    """The transfer offer the owner has open for this ownership, if any."""
    return db.session.scalar(select(TransferOffer).where(TransferOffer.ownership_id == ownership.id,
                                                         TransferOffer.state == TransferState.OPEN))
