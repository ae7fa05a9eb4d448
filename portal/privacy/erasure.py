"""Deleting an owner's account: the person is erased, the units' history and recall figures stay.

Recall duty needs to know that a unit had an owner and what happened to it, so rows that other records
point at (the user, ownerships, claims, recall notices) stay and lose their personal content instead of
being deleted. Everything happens in the caller's transaction; files are removed only after the caller
commits (`remove_files`), so a rollback never leaves rows pointing at deleted files.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import StaffMembership, User
from portal.authenticity.models import CounterfeitReport
from portal.catalog.models import BizStep, Disposition, UnitEvent
from portal.catalog.services import record_event
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, NotAllowed
from portal.core.storage import remove_stored
from portal.extensions import db
from portal.notifications.models import DeliveryState, Notification
from portal.ownership.models import Ownership, OwnershipDispute, TransferOffer, TransferState
from portal.recalls.models import RecallUnit
from portal.warranty.models import ClaimEntry, WarrantyClaim

ERASED_LABEL = "former owner (erased)"
TOMBSTONE_DOMAIN = "erased.invalid"  # RFC 2606: .invalid never resolves, so nothing can be mailed there


def tombstone_email(user_id: int) -> str:
    """Unique per account, so the e-mail column's unique constraint holds; carries nothing about the person."""
    return f"erased-{user_id}@{TOMBSTONE_DOMAIN}"


@dataclass
class ErasureResult:
    user_id: int
    ownerships_ended: int = 0
    file_keys: set[str] = field(default_factory=set)


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


def erase_account(user: User, password: str) -> ErasureResult:
    """Erase the person behind `user`; call `remove_files(result)` after the commit."""
    check_can_erase(user, password)
    now = utcnow()
    old_email = user.email
    result = ErasureResult(user.id)
    owned = select(Ownership.id).where(Ownership.owner_id == user.id)

    # The recall figures keep the units it owns now as "had an owner, erased" rather than "never had one".
    db.session.execute(update(RecallUnit).where(RecallUnit.unit_id.in_(
        select(Ownership.unit_id).where(Ownership.owner_id == user.id, Ownership.is_current)))
        .values(owner_erased_at=now, preferred_date=None).execution_options(synchronize_session=False))
    # Ownerships: current ones end, every one loses its receipt; purchase date and shop stay with the unit.
    for ownership in db.session.scalars(select(Ownership).where(Ownership.owner_id == user.id)):
        if ownership.proof_key:
            result.file_keys.add(ownership.proof_key)
        ownership.proof_key = ownership.proof_mime = ownership.proof_name = ownership.proof_size = None
        if ownership.until is None:
            ownership.until, ownership.ended_reason = now, "erased"
            result.ownerships_ended += 1
            record_event(ownership.unit, BizStep.OTHER, ownership.unit.status, actor="privacy",
                         note="The owner deleted their account")
    db.session.execute(update(TransferOffer).where(TransferOffer.ownership_id.in_(owned),
                                                   TransferOffer.state == TransferState.OPEN)
                       .values(state=TransferState.CANCELLED, finished_at=now))

    # Unit history stays; who did it becomes a label without the person, places and own words go.
    db.session.execute(update(UnitEvent).where(UnitEvent.actor_id == user.id)
                       .values(actor_label=ERASED_LABEL, place=""))
    db.session.execute(update(UnitEvent).where(UnitEvent.actor_id == user.id,
                                               UnitEvent.disposition == Disposition.STOLEN)
                       .values(note="Reported stolen by its owner"))

    # Claims stay in the manufacturer's warranty records; photos and the owner's messages go.
    claim_ids = select(WarrantyClaim.id).where(WarrantyClaim.owner_id == user.id)
    result.file_keys.update(k for k in db.session.scalars(
        select(ClaimEntry.file_key).where(ClaimEntry.claim_id.in_(claim_ids), ClaimEntry.file_key.is_not(None))))
    db.session.execute(delete(ClaimEntry).where(ClaimEntry.claim_id.in_(claim_ids), ClaimEntry.kind == "photo")
                       .execution_options(synchronize_session=False))
    db.session.execute(update(ClaimEntry).where(ClaimEntry.claim_id.in_(claim_ids), ClaimEntry.author_role == "owner")
                       .values(body="").execution_options(synchronize_session=False))
    # photo_count goes through the ORM: the claim's version column keeps an agent's concurrent edit honest.
    for claim in db.session.scalars(select(WarrantyClaim).where(WarrantyClaim.owner_id == user.id,
                                                                WarrantyClaim.photo_count > 0)):
        claim.photo_count = 0

    db.session.execute(update(OwnershipDispute).where(OwnershipDispute.claimant_id == user.id).values(message=""))
    # Reports of suspected fakes stay with the manufacturer, without the reporter's address or photos.
    result.file_keys.update(db.session.scalars(select(CounterfeitReport.photo_key).where(
        CounterfeitReport.contact == old_email, CounterfeitReport.photo_key.is_not(None))))
    db.session.execute(update(CounterfeitReport).where(CounterfeitReport.contact == old_email)
                       .values(contact="", photo_key=None))

    # The outbox: nothing more goes out to them; what went out keeps its row (recall delivery figures) but
    # not the address or the text.
    theirs = or_(Notification.user_id == user.id, Notification.recipient == old_email)
    db.session.execute(delete(Notification).where(theirs, Notification.state == DeliveryState.PENDING)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Notification).where(theirs)
                       .values(recipient=tombstone_email(user.id), body_text="", body_html="", last_error="")
                       .execution_options(synchronize_session=False))

    user.email = tombstone_email(user.id)
    user.name = ""
    user.password_hash = "!erased"  # matches no password: werkzeug refuses a hash without a method
    user.email_verified_at = None  # recall fan-outs and mail skip unverified accounts
    user.auth_version += 1  # every session of this account stops working
    user.failed_signins, user.locked_until = 0, None
    user.erased_at = now
    try:
        db.session.flush()
    except StaleDataError:  # a claims agent changed one of the claims at this moment
        raise Conflict(gettext("Something in your account changed at this very moment. Try again.")) from None
    # No e-mail, no name: the entry refers to the account by its id only, and its label is the tombstone.
    audit.log(None, "account.erased", user, user_id=user.id, ownerships_ended=result.ownerships_ended,
              files_deleted=len(result.file_keys))
    return result


def remove_files(result: ErasureResult) -> int:
    """Delete the erased account's uploads from storage, once its rows are committed. Returns how many went."""
    still_used = set(db.session.scalars(select(Ownership.proof_key).where(Ownership.proof_key.in_(result.file_keys))))
    still_used |= set(db.session.scalars(select(ClaimEntry.file_key).where(ClaimEntry.file_key.in_(result.file_keys))))
    still_used |= set(db.session.scalars(select(CounterfeitReport.photo_key)
                                         .where(CounterfeitReport.photo_key.in_(result.file_keys))))
    removed = 0
    for key in result.file_keys - still_used:
        removed += remove_stored(key)
    return removed
