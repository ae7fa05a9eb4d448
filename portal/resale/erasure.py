"""What resale erases of a person (core.signals.account_erasing; docs/architecture.md, "How areas talk"): every
proof they made stops holding at once. A proof holds nothing personal, so the rows stay, revoked."""
from __future__ import annotations

from sqlalchemy import select, update

from portal.core.signals import Erasure, proof_changed
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.resale.models import OwnershipProof, RevokedBecause


def erase(erasure: Erasure, **_) -> None:
    mine = select(Ownership.id).where(Ownership.owner_id == erasure.user_id)
    ids = list(db.session.scalars(select(OwnershipProof.id).where(OwnershipProof.ownership_id.in_(mine),
                                                                  OwnershipProof.revoked_at.is_(None))))
    if ids:
        db.session.execute(update(OwnershipProof).where(OwnershipProof.id.in_(ids))
                           .values(revoked_at=erasure.at, revoked_because=RevokedBecause.OWNER)
                           .execution_options(synchronize_session="fetch"))
    for proof_id in ids:
        proof_changed.send(proof_id, state="revoked")
