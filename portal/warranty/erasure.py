"""What warranty erases of a person (core.signals.account_erasing): claims stay in the manufacturer's records;
the owner's photos and messages go."""
from __future__ import annotations

from sqlalchemy import delete, select, update

from portal.core.signals import Erasure
from portal.extensions import db
from portal.warranty.models import ClaimEntry, WarrantyClaim


def erase(erasure: Erasure, **_) -> None:
    claim_ids = select(WarrantyClaim.id).where(WarrantyClaim.owner_id == erasure.user_id)
    erasure.file_keys.update(db.session.scalars(
        select(ClaimEntry.file_key).where(ClaimEntry.claim_id.in_(claim_ids), ClaimEntry.file_key.is_not(None))))
    db.session.execute(delete(ClaimEntry).where(ClaimEntry.claim_id.in_(claim_ids), ClaimEntry.kind == "photo")
                       .execution_options(synchronize_session=False))
    db.session.execute(update(ClaimEntry).where(ClaimEntry.claim_id.in_(claim_ids), ClaimEntry.author_role == "owner")
                       .values(body="").execution_options(synchronize_session=False))
    # photo_count goes through the ORM: the claim's version column keeps an agent's concurrent edit honest.
    for claim in db.session.scalars(select(WarrantyClaim).where(WarrantyClaim.owner_id == erasure.user_id,
                                                                WarrantyClaim.photo_count > 0)):
        claim.photo_count = 0


def files_in_use(keys: set[str], **_) -> set[str]:
    return set(db.session.scalars(select(ClaimEntry.file_key).where(ClaimEntry.file_key.in_(keys))))
