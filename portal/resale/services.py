"""Ownership proofs: creating and revoking them, revoking them all when the unit is reported stolen or changes
hands, and the transfer at the moment of sale, which runs through ownership's transfer codes
(ownership.services.start_transfer / accept_transfer): one flow, not a second mechanism (docs/resale.md)."""
from __future__ import annotations

import secrets
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal.accounts.models import User
from portal.catalog.models import Unit
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, NotAllowed, NotFound
from portal.core.secrets import encrypt_secret
from portal.core.signals import proof_changed
from portal.extensions import db
from portal.notifications.services import enqueue
from portal.ownership import services as ownership_services
from portal.ownership.models import Ownership, TransferOffer, TransferState
from portal.resale.keys import platform_key
from portal.resale.models import MAX_DAYS, MIN_DAYS, OwnershipProof, RevokedBecause, SerialShown
from portal.resale.queries import ProofState, live_count, status_of, token_hash

#: At most this many proofs of one unit may be live at once (RESALE_MAX_LIVE_PROOFS overrides it).
MAX_LIVE_PROOFS = 3


def _require_holder(owner: User, ownership: Ownership) -> None:
    if ownership.owner_id != owner.id or ownership.until is not None:
        raise NotFound(_("You do not own this unit."))


def create_proof(owner: User, ownership: Ownership, *, days: int, serial_shown: SerialShown | str = SerialShown.MASKED,
                 include_service: bool = False) -> tuple[OwnershipProof, str]:
    """A new proof that `owner` holds the unit, valid for `days` (1-90); returns it and its public token, the
    only time the token exists in clear outside its encrypted copy."""
    _require_holder(owner, ownership)
    unit = ownership.unit
    if unit.is_stolen:
        raise NotAllowed(_("A unit reported stolen cannot get an ownership proof. Report it recovered first."))
    if not isinstance(days, int) or isinstance(days, bool) or not MIN_DAYS <= days <= MAX_DAYS:
        raise Invalid(_("Choose a validity between %(low)d and %(high)d days.", low=MIN_DAYS, high=MAX_DAYS),
                      field="days")
    try:
        serial_shown = SerialShown(serial_shown)
    except ValueError:
        raise Invalid(_("Choose whether the serial is shown in full or masked."), field="serial_shown") from None
    # Two creations at once must count each other. PostgreSQL: the ownership's row is locked until the commit.
    # SQLite: a write statement (this one changes nothing) takes the database's one write lock before the
    # count, and a waiting writer starts again from a fresh snapshot.
    db.session.execute(select(Ownership.id).where(Ownership.id == ownership.id).with_for_update())
    db.session.execute(update(OwnershipProof).where(OwnershipProof.unit_id == unit.id, OwnershipProof.id < 0)
                       .values(revoked_at=None).execution_options(synchronize_session=False))
    limit = current_app.config.get("RESALE_MAX_LIVE_PROOFS", MAX_LIVE_PROOFS)
    if live_count(unit.id) >= limit:
        raise Conflict(_("This unit already has %(count)d live proofs. Revoke one before making another.",
                         count=limit))
    platform_key()  # made before the first proof, so the JWK set publishes it before any credential exists
    token = secrets.token_urlsafe(16)
    now = utcnow()
    proof = OwnershipProof(token_hash=token_hash(token), token_enc=encrypt_secret(token.encode()), unit_id=unit.id,
                           ownership=ownership, serial_shown=serial_shown, include_service=bool(include_service),
                           created_at=now, expires_at=now + timedelta(days=days))
    db.session.add(proof)
    db.session.flush()
    audit.log(owner, "resale.proof_created", proof, manufacturer_id=unit.manufacturer_id, unit_id=unit.id, days=days)
    return proof, token


def revoke_proof(owner: User, proof: OwnershipProof) -> None:
    """The owner withdraws a proof; a transfer offered from it is cancelled with it (a buyer confirming at
    the same moment: ownership's conditional updates let exactly one of the two through)."""
    _require_holder(owner, proof.ownership)
    if proof.revoked_at is not None:
        raise Invalid(_("This proof is already revoked."))
    # The offer first, then the proof: a buyer confirming at the same moment locks the offer, then the proof
    # (when the transfer ends it), so the same order here never deadlocks with it (PostgreSQL).
    if proof.transfer_offer_id is not None and not ownership_services.cancel_transfer(owner, proof.ownership):
        # Nothing was open to cancel: if the buyer redeemed the code a moment ago, the sale stands and the
        # seller is told so, never that the transfer was stopped (the revocation rolls back with the refusal).
        state = db.session.scalar(select(TransferOffer.state).where(TransferOffer.id == proof.transfer_offer_id))
        if state is TransferState.ACCEPTED:
            raise Conflict(_("The buyer confirmed receipt a moment ago: the unit is theirs now, and this proof "
                             "ended with the sale."))
    proof.revoked_at, proof.revoked_because = utcnow(), RevokedBecause.OWNER
    db.session.flush()
    audit.log(owner, "resale.proof_revoked", proof, manufacturer_id=proof.unit.manufacturer_id, unit_id=proof.unit_id)
    proof_changed.send(proof.id, state=ProofState.REVOKED.value)


def revoke_all_of_unit(unit_id: int, because: RevokedBecause, *, keep_ownership_id: int | None = None) -> list[int]:
    """Revoke every proof of the unit still unrevoked (but those of `keep_ownership_id`), in one UPDATE; the
    ids revoked. Expired proofs are marked too, so none comes back to life."""
    where = [OwnershipProof.unit_id == unit_id, OwnershipProof.revoked_at.is_(None)]
    if keep_ownership_id is not None:
        where.append(OwnershipProof.ownership_id != keep_ownership_id)
    ids = list(db.session.scalars(select(OwnershipProof.id).where(*where)))
    if ids:
        db.session.execute(update(OwnershipProof).where(OwnershipProof.id.in_(ids))
                           .values(revoked_at=utcnow(), revoked_because=because)
                           .execution_options(synchronize_session="fetch"))
    state = ProofState.STOLEN if because is RevokedBecause.STOLEN else ProofState.TRANSFERRED
    for proof_id in ids:
        proof_changed.send(proof_id, state=state.value)
    return ids


def unit_reported_stolen(unit: Unit, **_extra) -> None:
    """Receiver of core.signals.unit_reported_stolen: all the unit's proofs end at once."""
    ids = revoke_all_of_unit(unit.id, RevokedBecause.STOLEN)
    if ids:
        audit.log(None, "resale.proofs_revoked_stolen", unit, unit_id=unit.id, count=len(ids))


def ownership_started(ownership: Ownership, **_extra) -> None:
    """Receiver of core.signals.ownership_started: a unit that changed hands ends its earlier owners' proofs."""
    if ownership.source == "transfer":
        revoke_all_of_unit(ownership.unit_id, RevokedBecause.TRANSFERRED, keep_ownership_id=ownership.id)


def offer_transfer(owner: User, proof: OwnershipProof) -> tuple[TransferOffer, str]:
    """From a proof that still holds, the seller offers the transfer: ownership's one-time code, remembered on the
    proof, so the buyer can confirm receipt from the proof's page with it."""
    _require_holder(owner, proof.ownership)
    if not status_of(proof).holds:
        raise Invalid(_("This proof no longer holds, so no transfer can be offered from it."))
    offer, code = ownership_services.start_transfer(owner, proof.ownership)
    proof.transfer_offer = offer
    db.session.flush()
    audit.log(owner, "resale.transfer_offered", proof, manufacturer_id=proof.unit.manufacturer_id,
              unit_id=proof.unit_id)
    return offer, code


def confirm_receipt(buyer: User, proof: OwnershipProof, code: str, *, purchased_on: date | None = None) -> Ownership:
    """The buyer has the item in hand and confirms it: only now does ownership move, by
    ownership.services.accept_transfer with the code the seller offered from this proof. Of two confirmations
    (or a confirmation and the seller's revocation) at once, the code's conditional update lets one through.
    The seller hears from ownership (its transfer mail), the buyer from here."""
    if proof.transfer_offer_id is None:
        raise Invalid(_("The seller has not offered the transfer from this proof yet."))
    if proof.revoked_at is not None or proof.expires_at <= utcnow():
        raise Invalid(_("This proof no longer holds. Ask the seller for a new one."))
    offer = ownership_services.find_offer(code)
    if offer.id != proof.transfer_offer_id:
        raise Invalid(_("This transfer code does not belong to this proof. Check it with the seller."), field="code")
    unit = proof.unit
    new = ownership_services.accept_transfer(buyer, code, purchased_on=purchased_on)
    enqueue(recipient=buyer.email, user=buyer, template="resale_received",
            subject=_l("%(product)s is now registered to you", product=unit.model.name),
            dedupe_key=f"resale-received:{offer.id}", unit=unit, ownership=new)
    audit.log(buyer, "resale.receipt_confirmed", proof, manufacturer_id=unit.manufacturer_id, unit_id=unit.id)
    return new
