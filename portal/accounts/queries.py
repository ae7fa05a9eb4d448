"""Reads of accounts for pages elsewhere."""
from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from portal.accounts.models import StaffMembership
from portal.extensions import db


def staff_memberships() -> list[StaffMembership]:
    """The signed-in user's staff memberships (none outside a request or when signed out), for the navigation."""
    if not (current_user and current_user.is_authenticated):  # None when mail is rendered outside a request
        return []
    return list(db.session.scalars(select(StaffMembership).where(StaffMembership.user_id == current_user.id)))
