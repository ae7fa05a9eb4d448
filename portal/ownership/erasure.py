"""What ownership erases of a person (core.signals.account_erasing; docs/architecture.md, "How areas talk"):
current ownerships end, every receipt goes, open transfer offers are cancelled, dispute messages are emptied.
Purchase date and shop stay with the unit's history."""
from __future__ import annotations

from sqlalchemy import select, update

from portal.catalog.models import BizStep
from portal.catalog.services import record_event
from portal.core.signals import Erasure
from portal.extensions import db
from portal.ownership.models import Ownership, OwnershipDispute, TransferOffer, TransferState


def erase(erasure: Erasure, **_) -> None:
    for ownership in db.session.scalars(select(Ownership).where(Ownership.owner_id == erasure.user_id)):
        if ownership.proof_key:
            erasure.file_keys.add(ownership.proof_key)
        ownership.proof_key = ownership.proof_mime = ownership.proof_name = ownership.proof_size = None
        if ownership.until is None:
            ownership.until, ownership.ended_reason = erasure.at, "erased"
            erasure.ownerships_ended += 1
            record_event(ownership.unit, BizStep.OTHER, ownership.unit.status, actor="privacy",
                         note="The owner deleted their account")
    owned = select(Ownership.id).where(Ownership.owner_id == erasure.user_id)
    db.session.execute(update(TransferOffer).where(TransferOffer.ownership_id.in_(owned),
                                                   TransferOffer.state == TransferState.OPEN)
                       .values(state=TransferState.CANCELLED, finished_at=erasure.at))
    db.session.execute(update(OwnershipDispute).where(OwnershipDispute.claimant_id == erasure.user_id)
                       .values(message=""))


def files_in_use(keys: set[str], **_) -> set[str]:
    return set(db.session.scalars(select(Ownership.proof_key).where(Ownership.proof_key.in_(keys))))
