"""What recalls erase of a person (core.signals.account_erasing): the recall figures keep the units the person
owned as "had an owner, erased" rather than "never had one", without their chosen date."""
from __future__ import annotations

from sqlalchemy import or_, update

from portal.core.signals import Erasure
from portal.extensions import db
from portal.recalls.models import RecallUnit


def erase(erasure: Erasure, **_) -> None:
    if erasure.owned_unit_ids:
        # A part counted as the unit of remedy was owned through the assembly holding it.
        db.session.execute(update(RecallUnit).where(or_(RecallUnit.unit_id.in_(erasure.owned_unit_ids),
                                                        RecallUnit.holder_id.in_(erasure.owned_unit_ids)))
                           .values(owner_erased_at=erasure.at, preferred_date=None)
                           .execution_options(synchronize_session=False))
