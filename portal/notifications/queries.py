"""Reads of the outbox for other areas: how many messages of a topic, in which state."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.notifications.models import DeliveryState, Notification


def count(topic: str, state: DeliveryState | str | None = None) -> int:
    """Messages of `topic` (every state, or the one given: pending, sent, dead)."""
    stmt = select(func.count()).select_from(Notification).where(Notification.topic == topic)
    if state is not None:
        stmt = stmt.where(Notification.state == DeliveryState(state))
    return db.session.scalar(stmt)


def count_by_state(topic: str) -> dict[str, int]:
    """{"pending": n, "sent": n, "dead": n} for `topic`, every state present (0 when none)."""
    found = dict.fromkeys((s.value for s in DeliveryState), 0)
    for state, n in db.session.execute(select(Notification.state, func.count()).where(Notification.topic == topic)
                                       .group_by(Notification.state)):
        found[DeliveryState(state).value] = n
    return found
