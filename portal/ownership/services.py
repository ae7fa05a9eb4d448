"""Registering a unit, handing it to a buyer, reporting it stolen, disputing a registration."""
from __future__ import annotations

import secrets
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.catalog.models import BizStep, Disposition, Unit
from portal.catalog.services import record_event
from portal.core import audit
from portal.core.countries import country_code
from portal.core.db import utcnow
from portal.core.errors import AlreadyOwned, Invalid, NotAllowed, NotFound
from portal.core.secrets import digest
from portal.core.signals import ownership_started, unit_reported_stolen
from portal.core.storage import StoredFile
from portal.extensions import db
from portal.notifications.services import enqueue
from portal.ownership.models import Ownership, OwnershipDispute, TransferOffer, TransferState

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a counter


def current_ownership(unit: Unit) -> Ownership | None:
    return db.session.scalar(select(Ownership).where(Ownership.unit_id == unit.id, Ownership.is_current))


def owned_units(owner: User) -> list[Ownership]:
    return list(db.session.scalars(
        select(Ownership).where(Ownership.owner_id == owner.id, Ownership.is_current).order_by(Ownership.since.desc())
    ))


def _check_purchase(purchased_on: date | None, unit: Unit) -> None:
    if purchased_on is None:
        return
    if purchased_on > date.today():
        raise Invalid(_("The purchase date cannot lie in the future."), field="purchased_on")
    if unit.manufactured_on and purchased_on < unit.manufactured_on:
        raise Invalid(_("The purchase date is before the product was made."), field="purchased_on")


def register_unit(owner: User, unit: Unit, *, purchased_on: date | None, retailer: str = "",
                  proof: StoredFile | None = None, country: str | None = None) -> Ownership:
    """Make `owner` the unit's current owner.

    The partial unique index on current ownerships is the real guard: when two people register
    at the same moment both reach the flush and exactly one survives it; the other gets AlreadyOwned
    (the caller rolls the request back).
    """
    if not owner.is_verified:
        raise NotAllowed(_("Confirm your e-mail address before registering products."))
    if unit.is_stolen:
        raise NotAllowed(_("This unit is reported stolen and cannot be registered. If you bought it, "
                         "contact the manufacturer."))
    if unit.status is Disposition.DESTROYED:
        raise NotAllowed(_("This unit was taken out of service and cannot be registered."))
    held = current_ownership(unit)
    if held is not None:
        raise _already_owned(owner, held)
    _check_purchase(purchased_on, unit)
    ownership = Ownership(unit=unit, owner=owner, purchased_on=purchased_on, retailer=(retailer or "").strip()[:160],
                          source="registration", country=country_code(country))
    if proof is not None:
        ownership.proof_key, ownership.proof_mime, ownership.proof_name, ownership.proof_size = (
            proof.key, proof.mime, proof.name, proof.size)
    db.session.add(ownership)
    try:
        db.session.flush()
    except IntegrityError:
        raise AlreadyOwned(_("Someone registered this unit a moment ago. If it is yours, open a dispute "
                           "and the manufacturer will look into it.")) from None
    record_event(unit, BizStep.RETAIL_SELLING, Disposition.RETAIL_SOLD, actor=owner, note="Registered by its owner")
    audit.log(owner, "ownership.registered", ownership, manufacturer_id=unit.manufacturer_id, unit_id=unit.id)
    ownership_started.send(ownership)
    return ownership


def _already_owned(owner: User, held: Ownership) -> AlreadyOwned:
    if held.owner_id == owner.id:
        return AlreadyOwned("This unit is already registered to you.")
    return AlreadyOwned("This unit is already registered to another owner. If you bought it second-hand, "
                        "ask the seller for a transfer code; if it is yours, open a dispute.")


def _hash_code(code: str) -> str:
    normalized = "".join(c for c in (code or "").upper() if c.isalnum())
    return digest(normalized)


def start_transfer(owner: User, ownership: Ownership) -> tuple[TransferOffer, str]:
    """Give the owner a one-time code for the buyer. Earlier open codes for the unit stop working."""
    _require_current_owner(owner, ownership)
    if ownership.unit.is_stolen:
        raise NotAllowed(_("A unit reported stolen cannot be transferred. Report it recovered first."))
    for offer in db.session.scalars(select(TransferOffer).where(TransferOffer.ownership_id == ownership.id,
                                                                TransferOffer.state == TransferState.OPEN)):
        offer.state, offer.finished_at = TransferState.CANCELLED, utcnow()
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    code = "-".join(raw[i:i + 4] for i in range(0, 12, 4))
    hours = current_app.config["TRANSFER_CODE_HOURS"]
    offer = TransferOffer(ownership=ownership, code_hash=_hash_code(code), expires_at=utcnow() + timedelta(hours=hours))
    db.session.add(offer)
    db.session.flush()
    audit.log(owner, "transfer.started", offer, manufacturer_id=ownership.unit.manufacturer_id, unit_id=ownership.unit_id)
    return offer, code


def cancel_transfer(owner: User, ownership: Ownership) -> int:
    """Cancel the unit's open codes; how many were still open. One conditional UPDATE: a code the buyer
    redeemed a moment ago is no longer open, so it stays redeemed and the seller is told nothing was cancelled."""
    _require_current_owner(owner, ownership)
    return db.session.execute(
        update(TransferOffer).where(TransferOffer.ownership_id == ownership.id, TransferOffer.state == TransferState.OPEN)
        .values(state=TransferState.CANCELLED, finished_at=utcnow()).execution_options(synchronize_session="fetch")
    ).rowcount


def find_offer(code: str) -> TransferOffer:
    """The open offer for a code, or a message that says why not."""
    offer = db.session.scalar(select(TransferOffer).where(TransferOffer.code_hash == _hash_code(code)))
    if offer is None:
        raise NotFound(_("This transfer code is not valid. Check it with the seller."))
    if offer.state is TransferState.ACCEPTED:
        raise Invalid(_("This transfer code has already been used."))
    if offer.state is TransferState.CANCELLED:
        raise Invalid(_("The seller cancelled this transfer code."))
    if offer.expires_at <= utcnow():
        raise Invalid(_("This transfer code has expired. Ask the seller for a new one."))
    if offer.ownership.until is not None:
        raise Invalid(_("The seller no longer owns this unit."))
    return offer


def accept_transfer(buyer: User, code: str, *, purchased_on: date | None = None) -> Ownership:
    """The buyer takes over: the seller's ownership ends, the buyer's begins, history stays."""
    if not buyer.is_verified:
        raise NotAllowed(_("Confirm your e-mail address before taking over a product."))
    offer = find_offer(code)
    seller_ownership, unit = offer.ownership, offer.ownership.unit
    if seller_ownership.owner_id == buyer.id:
        raise Invalid(_("You cannot transfer a unit to yourself."))
    if unit.is_stolen:
        raise NotAllowed(_("This unit is reported stolen and cannot change hands."))
    _check_purchase(purchased_on, unit)
    now = utcnow()
    # Claim the code first, in the database, as cancel_transfer does: of a redeem and a cancel (or two
    # redeems) at once, exactly one finds the code open; the other changes nothing and hears why.
    claimed = db.session.execute(
        update(TransferOffer).where(TransferOffer.id == offer.id, TransferOffer.state == TransferState.OPEN)
        .values(state=TransferState.ACCEPTED, finished_at=now, accepted_by_id=buyer.id)
        .execution_options(synchronize_session=False)).rowcount
    db.session.expire(offer)
    if claimed != 1:
        find_offer(code)  # says what happened to it (cancelled, used)
        raise Invalid(_("This transfer code has already been used."))
    seller_ownership.until, seller_ownership.ended_reason = now, "transferred"
    db.session.flush()
    new = Ownership(unit=unit, owner=buyer, since=now, purchased_on=purchased_on or date.today(), source="transfer",
                    retailer="Private sale")
    db.session.add(new)
    try:
        db.session.flush()
    except IntegrityError:
        raise AlreadyOwned(_("This unit changed hands a moment ago.")) from None
    record_event(unit, BizStep.OTHER, Disposition.RETAIL_SOLD, actor=buyer, note="Ownership transferred")
    audit.log(buyer, "ownership.transferred", new, manufacturer_id=unit.manufacturer_id, unit_id=unit.id,
              from_user=seller_ownership.owner_id)
    enqueue(recipient=seller_ownership.owner.email, user=seller_ownership.owner, template="transfer_done",
            subject=_l("%(product)s now belongs to its new owner", product=unit.model.name), dedupe_key=f"transfer-done:{offer.id}",
            unit=unit)
    ownership_started.send(new)
    return new


def report_stolen(owner: User, ownership: Ownership, *, note: str = "", place: str = "") -> None:
    _require_current_owner(owner, ownership)
    if ownership.unit.is_stolen:
        raise Invalid(_("This unit is already reported stolen."))
    cancel_transfer(owner, ownership)
    record_event(ownership.unit, BizStep.OTHER, Disposition.STOLEN, actor=owner, note=note or "Reported stolen by its owner",
                 place=place)
    audit.log(owner, "unit.reported_stolen", ownership.unit, unit_id=ownership.unit_id)
    unit_reported_stolen.send(ownership.unit)


def report_recovered(owner: User, ownership: Ownership) -> None:
    _require_current_owner(owner, ownership)
    if not ownership.unit.is_stolen:
        raise Invalid(_("This unit is not reported stolen."))
    record_event(ownership.unit, BizStep.OTHER, Disposition.RETAIL_SOLD, actor=owner, note="Recovered by its owner")
    audit.log(owner, "unit.recovered", ownership.unit, unit_id=ownership.unit_id)


def open_dispute(claimant: User, unit: Unit, message: str) -> OwnershipDispute:
    """Someone says a unit registered to another person is theirs. The manufacturer's staff see it."""
    message = (message or "").strip()
    if len(message) < 20:
        raise Invalid(_("Tell the manufacturer in a sentence or two why the unit is yours (at least 20 characters)."),
                      field="message")
    dispute = OwnershipDispute(unit=unit, claimant=claimant, message=message[:4000])
    db.session.add(dispute)
    db.session.flush()
    audit.log(claimant, "ownership.disputed", dispute, manufacturer_id=unit.manufacturer_id, unit_id=unit.id)
    return dispute


def _require_current_owner(owner: User, ownership: Ownership) -> None:
    if ownership.owner_id != owner.id or ownership.until is not None:
        raise NotFound(_("You do not own this unit."))
