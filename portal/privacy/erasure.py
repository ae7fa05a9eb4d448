"""Deleting an owner's account: the person is erased, the units' history and recall figures stay.

Recall duty needs to know that a unit had an owner and what happened to it, so rows that other records
point at (the user, ownerships, claims, recall notices) stay and lose their personal content instead of
being deleted. Everything happens in the caller's transaction; files are removed only after the caller
commits (`remove_files`), so a rollback never leaves rows pointing at deleted files.
"""
from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import StaffMembership, User
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, NotAllowed
from portal.core.signals import Erasure, account_erasing, files_in_use
from portal.core.storage import remove_stored
from portal.extensions import db
from portal.ownership.models import Ownership

ERASED_LABEL = "former owner (erased)"


def check_can_erase(user: User, password: str) -> None:
    """Refusals come before any change: a wrong password or a staff role leaves everything as it was."""
    if user.erased_at is not None:
        raise Invalid(gettext("This account is already deleted."))
    if not user.check_password(password or ""):
        raise Invalid(gettext("The password is wrong."), field="password")
    if user.is_platform_admin:
        raise NotAllowed(gettext("A platform admin cannot delete their own account; ask another admin to remove the "
                                 "role first."))
    if db.session.scalar(select(func.count()).select_from(StaffMembership).where(StaffMembership.user_id == user.id)):
        raise NotAllowed(gettext("You are on the team of a manufacturer. Ask a tenant admin to remove you from the "
                                 "team before you delete your account."))


def erase_account(user: User, password: str) -> Erasure:
    """Erase the person behind `user`; call `remove_files(result)` after the commit.

    Every area removes the person from its own data when it receives core.signals.account_erasing (accounts,
    catalog, ownership, warranty, recalls, authenticity, notifications); this checks, asks them all in the
    caller's transaction, and records the erasure."""
    check_can_erase(user, password)
    erasure = Erasure(user_id=user.id, email=user.email, at=utcnow(), erased_label=ERASED_LABEL,
                      owned_unit_ids=list(db.session.scalars(select(Ownership.unit_id).where(
                          Ownership.owner_id == user.id, Ownership.is_current))))
    account_erasing.send(erasure)
    try:
        db.session.flush()
    except StaleDataError:  # a claims agent changed one of the claims at this moment
        raise Conflict(gettext("Something in your account changed at this very moment. Try again.")) from None
    # No e-mail, no name: the entry refers to the account by its id only, and its label is the tombstone.
    audit.log(None, "account.erased", user, user_id=user.id, ownerships_ended=erasure.ownerships_ended,
              files_deleted=len(erasure.file_keys))
    return erasure


def remove_files(result: Erasure) -> int:
    """Delete the erased account's uploads from storage, once its rows are committed, except those a row still
    points at (every area answers core.signals.files_in_use). Returns how many went."""
    still_used = set().union(*(used for _, used in files_in_use.send(result.file_keys))) if result.file_keys else set()
    removed = 0
    for key in result.file_keys - still_used:
        removed += remove_stored(key)
    return removed
