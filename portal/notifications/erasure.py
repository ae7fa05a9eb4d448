"""What the outbox erases of a person (core.signals.account_erasing): nothing more goes out to them; what went
out keeps its row (recall delivery figures) but not the address or the text."""
from __future__ import annotations

from sqlalchemy import delete, or_, update

from portal.core.signals import Erasure
from portal.extensions import db
from portal.notifications.models import DeliveryState, Notification


def erase(erasure: Erasure, **_) -> None:
    theirs = or_(Notification.user_id == erasure.user_id, Notification.recipient == erasure.email)
    db.session.execute(delete(Notification).where(theirs, Notification.state == DeliveryState.PENDING)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Notification).where(theirs)
                       .values(recipient=erasure.tombstone_email, body_text="", body_html="", last_error="")
                       .execution_options(synchronize_session=False))
