"""Service history and an account's erasure: entries belong to the unit, not to its owner, so nothing is
removed; the documents they point at stay in use."""
from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.servicing.models import ServiceEntry


def files_in_use(keys: set[str], **_) -> set[str]:
    return set(db.session.scalars(select(ServiceEntry.document_key).where(ServiceEntry.document_key.in_(keys))))
