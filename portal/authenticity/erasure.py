"""What authenticity erases of a person (core.signals.account_erasing): reports of suspected fakes stay with the
manufacturer, without the reporter's address or photos."""
from __future__ import annotations

from sqlalchemy import select, update

from portal.authenticity.models import CounterfeitReport
from portal.core.signals import Erasure
from portal.extensions import db


def erase(erasure: Erasure, **_) -> None:
    erasure.file_keys.update(db.session.scalars(select(CounterfeitReport.photo_key).where(
        CounterfeitReport.contact == erasure.email, CounterfeitReport.photo_key.is_not(None))))
    db.session.execute(update(CounterfeitReport).where(CounterfeitReport.contact == erasure.email)
                       .values(contact="", photo_key=None))


def files_in_use(keys: set[str], **_) -> set[str]:
    return set(db.session.scalars(select(CounterfeitReport.photo_key).where(CounterfeitReport.photo_key.in_(keys))))
