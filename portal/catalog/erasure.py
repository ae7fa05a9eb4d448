"""What the catalog erases of a person (core.signals.account_erasing): unit history stays, but who acted becomes a
label without the person, places go, and their own words on a stolen report become a neutral line."""
from __future__ import annotations

from sqlalchemy import update

from portal.catalog.models import Disposition, UnitEvent
from portal.core.signals import Erasure
from portal.extensions import db


def erase(erasure: Erasure, **_) -> None:
    db.session.execute(update(UnitEvent).where(UnitEvent.actor_id == erasure.user_id)
                       .values(actor_label=erasure.erased_label, place=""))
    db.session.execute(update(UnitEvent).where(UnitEvent.actor_id == erasure.user_id,
                                               UnitEvent.disposition == Disposition.STOLEN)
                       .values(note="Reported stolen by its owner"))
