"""Warranty claims: filing, the one transition function, conversation, evidence, replacement.

Every state change goes through `move`, which checks the transition table, records the unit event,
the timeline entry and the owner's e-mail in the caller's transaction. The claim's version column makes
two agents deciding at once collide at the flush: one wins, the other gets a Conflict.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import date
from decimal import Decimal, InvalidOperation

from babel.numbers import list_currencies
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import User
from portal.catalog.models import BizStep, Disposition, ProductModel, Unit, UnitEvent
from portal.catalog.services import find_unit, record_event
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, NotAllowed, NotFound
from portal.core.storage import store_image
from portal.core.urls import external_url
from portal.extensions import db
from portal.notifications.services import enqueue
from portal.ownership.models import Ownership
from portal.ownership.services import current_ownership
from portal.warranty.coverage import coverage
from portal.warranty.models import (
    CATEGORIES,
    REMEDIES,
    TRANSITIONS,
    ClaimEntry,
    ClaimState,
    ClockStart,
    ExtendedCoverage,
    ReplacementRule,
    WarrantyClaim,
    WarrantyTerms,
)
from portal.warranty.returns import parse_country

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_PHOTOS = 5
UNIT_STEP = {
    ClaimState.IN_REPAIR: Disposition.IN_PROGRESS,
    ClaimState.REPAIRED: Disposition.RETAIL_SOLD,
    ClaimState.REPLACED: Disposition.INACTIVE,
    ClaimState.REFUNDED: Disposition.INACTIVE,
}


def _code(prefix: str) -> str:
    return f"{prefix}{utcnow():%y}-" + "".join(secrets.choice(ALPHABET) for _ in range(6))


def _store_photos(claim: WarrantyClaim, photos: list[tuple[bytes, str]], author: User) -> None:
    if claim.photo_count + len(photos) > MAX_PHOTOS:
        raise Invalid(_("A claim holds at most %(max)d photos.", max=MAX_PHOTOS), field="photos")
    for data, name in photos:
        digest = hashlib.sha256(data).hexdigest()  # of what was sent: the same photo reused shows up
        stored = store_image(data, name, field="photos")
        db.session.add(ClaimEntry(claim_id=claim.id, author_id=author.id, author_role="owner", kind="photo",
                                  body=stored.name, file_key=stored.key, file_sha256=digest))
    claim.photo_count += len(photos)


def file_claim(owner: User, unit: Unit, *, category: str, description: str, started_on: date | None,
               preferred_remedy: str = "repair", photos: list[tuple[bytes, str]] = (), goodwill: bool = False,
               return_country: str = "") -> WarrantyClaim:
    """File a claim. Eligibility is decided here, not by the page, and each refusal says why."""
    ownership = current_ownership(unit)
    if ownership is None or ownership.owner_id != owner.id:
        raise NotAllowed(_("Only the unit's current owner can file a claim."))
    if unit.is_stolen:
        raise NotAllowed(_("A unit reported stolen cannot get a warranty claim. Report it recovered first."))
    if category not in CATEGORIES:
        raise Invalid(_("Choose what happened from the list."), field="category")
    if preferred_remedy not in REMEDIES:
        raise Invalid(_("Choose a preferred remedy from the list."), field="preferred_remedy")
    description = (description or "").strip()
    if len(description) < 15:
        raise Invalid(_("Describe the problem in a sentence or two (at least 15 characters)."), field="description")
    if started_on and started_on > date.today():
        raise Invalid(_("The problem cannot start in the future."), field="started_on")
    # Where the parcel leaves from: as the owner said, else the country their ownership records (if any).
    return_country = parse_country(return_country, field="return_country") or (ownership.country or "")
    same = db.session.scalar(select(WarrantyClaim.number).where(
        WarrantyClaim.unit_id == unit.id, WarrantyClaim.category == category,
        WarrantyClaim.state.in_([s for s in ClaimState if s.is_open])))
    if same:
        raise Conflict(_("Claim %(number)s for the same problem on this unit is still open; add to it instead.",
                         number=same))
    cover = coverage(unit, utcnow())
    if not cover.covered and not goodwill:
        raise NotAllowed(_("%(reason)s You can still ask the manufacturer for goodwill.", reason=cover.reason))
    claim = WarrantyClaim(number=_code("W"), manufacturer_id=unit.manufacturer_id, unit=unit, owner=owner,
                          category=category, description=description[:4000], started_on=started_on,
                          preferred_remedy=preferred_remedy, goodwill=not cover.covered,
                          covered_at_filing=cover.covered, coverage_reason=cover.words[:300],
                          return_country=return_country)
    db.session.add(claim)
    db.session.flush()
    _store_photos(claim, list(photos), owner)
    db.session.add(ClaimEntry(claim_id=claim.id, author_id=owner.id, author_role="owner", kind="state",
                              to_state=ClaimState.SUBMITTED.value, body=description[:4000]))
    _notify(claim, ClaimState.SUBMITTED)
    audit.log(owner, "claim.filed", claim, manufacturer_id=claim.manufacturer_id, number=claim.number)
    return claim


#: The largest cost of one claim the desk may record.
MAX_CLAIM_COST = Decimal(10_000_000)

def claim_cost(amount: str, currency: str) -> tuple[Decimal, str] | None:
    """What a claim cost, as the desk enters it on closing: an amount of 0 to 10,000,000 with at most two
    decimals, and its ISO 4217 currency; nothing entered is None."""
    amount, currency = (amount or "").strip().replace(",", "."), (currency or "").strip().upper()
    if not amount:
        return None
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise Invalid(_("The cost must be a number, such as 84.50."), field="cost_amount") from None
    if not value.is_finite() or not 0 <= value <= MAX_CLAIM_COST or value != value.quantize(Decimal("0.01")):
        raise Invalid(_("The cost must lie between 0 and 10,000,000, with at most two decimals."), field="cost_amount")
    if currency not in list_currencies():
        raise Invalid(_("Give the cost's currency as its three-letter code (EUR, GBP, CHF …)."), field="cost_currency")
    return value.quantize(Decimal("0.01")), currency


def move(claim: WarrantyClaim, target: ClaimState | str, *, actor: User, role: str, note: str = "",
         replacement_serial: str = "", cost_amount: str = "", cost_currency: str = "") -> WarrantyClaim:
    """The single way a claim changes state: checked against TRANSITIONS, never half-applied. Closing it,
    the desk may record what it cost (`claim_cost`)."""
    target = ClaimState(target)
    rule = TRANSITIONS.get((claim.state, target))
    if rule is None:
        raise Conflict(_("A claim that is %(state)s cannot become %(target)s.", state=claim.state.label.lower(),
                         target=target.label.lower()))
    if rule.by != role:
        if rule.by == "owner":
            raise NotAllowed(_("Only the owner can make a claim %(target)s.", target=target.label.lower()))
        raise NotAllowed(_("Only the claims desk can make a claim %(target)s.", target=target.label.lower()))
    note = (note or "").strip()
    if rule.note_required and not note:
        raise Invalid(_("Add a note: it tells the other side why."), field="note")
    cost = claim_cost(cost_amount, cost_currency) if target is ClaimState.CLOSED else None
    if target is ClaimState.REPLACED:
        _replace(claim, replacement_serial, actor)  # may refuse: before the claim itself changes
    previous = claim.state
    claim.state, claim.updated_at = target, utcnow()
    if cost is not None:
        claim.cost_amount, claim.cost_currency = cost
    if target in (ClaimState.APPROVED, ClaimState.REJECTED):
        claim.decided_at = utcnow()
    if target is ClaimState.APPROVED:
        claim.rma_number = _code("RMA")
    if rule.biz_step is not None and target in UNIT_STEP:
        record_event(claim.unit, rule.biz_step, UNIT_STEP[target], actor=actor,
                     note=f"Claim {claim.number}: {target.label.lower()}")
    db.session.add(ClaimEntry(claim_id=claim.id, author_id=actor.id, author_role=role, kind="state",
                              from_state=previous.value, to_state=target.value, body=note[:4000]))
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(_("Someone else changed this claim a moment ago. Reload it to see what they decided.")) from None
    if rule.notify:
        _notify(claim, target, note)
    audit.log(actor, f"claim.{target.value}", claim, manufacturer_id=claim.manufacturer_id, number=claim.number,
              from_state=previous.value)
    return claim


def _replace(claim: WarrantyClaim, serial: str, actor: User) -> None:
    """The new unit replaces the old: linked, the ownership moves, the old one is decommissioned.

    Every check comes before the first change, so a refused replacement leaves everything as it was."""
    if not serial:
        raise Invalid(_("Give the serial of the replacement unit."), field="replacement_serial")
    new = find_unit(claim.unit.model.gtin, serial)  # the same model; NotFound says which serial is unknown
    if new.id == claim.unit_id or current_ownership(new) is not None or new.status is Disposition.INACTIVE:
        raise Conflict(_("The replacement must be a different, unused unit that nobody owns yet."))
    old_ownership = current_ownership(claim.unit)
    now = utcnow()
    old_ownership.until, old_ownership.ended_reason = now, "replaced"
    db.session.flush()
    db.session.add(Ownership(unit=new, owner=claim.owner, since=now, purchased_on=old_ownership.purchased_on,
                             retailer=old_ownership.retailer, source="replacement", proof_key=old_ownership.proof_key,
                             proof_mime=old_ownership.proof_mime, proof_name=old_ownership.proof_name,
                             proof_size=old_ownership.proof_size))
    new.replaces_id = claim.unit_id
    claim.replacement_unit_id = new.id
    record_event(new, BizStep.REPLACING, Disposition.RETAIL_SOLD, actor=actor,
                 note=f"Replaces {claim.unit.serial} under claim {claim.number}")


def add_message(claim: WarrantyClaim, author: User, role: str, body: str) -> ClaimEntry:
    body = (body or "").strip()
    if not body:
        raise Invalid(_("Write a message first."), field="body")
    if not claim.state.is_open:
        raise Conflict(_("This claim is closed."))
    entry = ClaimEntry(claim_id=claim.id, author_id=author.id, author_role=role, kind="message", body=body[:4000])
    db.session.add(entry)
    claim.updated_at = utcnow()
    if role == "agent":
        enqueue(recipient=claim.owner.email, user=claim.owner, template="claim_update",
                subject=_l("Claim %(number)s: a message from the manufacturer", number=claim.number),
                dedupe_key=f"claim-msg:{claim.id}:{utcnow().timestamp()}", claim=claim, message=body,
                link=external_url("warranty.claim", number=claim.number))
    db.session.flush()
    return entry


def add_photos(claim: WarrantyClaim, owner: User, photos: list[tuple[bytes, str]]) -> None:
    if claim.owner_id != owner.id:
        raise NotFound(_("No such claim."))
    if not claim.state.is_open:
        raise Conflict(_("This claim is closed."))
    _store_photos(claim, photos, owner)


def _notify(claim: WarrantyClaim, state: ClaimState, note: str = "") -> None:
    enqueue(recipient=claim.owner.email, user=claim.owner, template="claim_update",
            # Lazy: the state's name too must be in the owner's language, which enqueue switches to.
            subject=LazyString(lambda: _("Claim %(number)s: %(state)s", number=claim.number,
                                         state=state.label.lower())),
            dedupe_key=f"claim:{claim.id}:{state.value}:{claim.version}", claim=claim, state=state, message=note,
            link=external_url("warranty.claim", number=claim.number))


def fraud_signals(claim: WarrantyClaim) -> list[str]:
    """Facts an agent should weigh; none decides on its own."""
    signals = []
    unit = claim.unit
    first = db.session.scalar(select(Ownership).where(Ownership.unit_id == unit.id).order_by(Ownership.since))
    if first is None or (not first.retailer and not first.proof_key):
        signals.append(_("The unit was never registered with a retailer or a receipt."))
    if first is not None and (claim.created_at - first.since).days < 7 and claim.owner_id == first.owner_id:
        signals.append(_("Filed %(days)d days after registration.", days=(claim.created_at - first.since).days))
    # Only this manufacturer's records: the desk must not learn about the claimant's other brands.
    owned = db.session.scalar(select(func.count()).select_from(Ownership).join(Unit, Unit.id == Ownership.unit_id)
                              .where(Ownership.owner_id == claim.owner_id,
                                     Unit.manufacturer_id == claim.manufacturer_id))
    claims = db.session.scalar(select(func.count()).select_from(WarrantyClaim).where(
        WarrantyClaim.owner_id == claim.owner_id, WarrantyClaim.manufacturer_id == claim.manufacturer_id))
    if owned >= 5 and claims >= 3:
        signals.append(_("The claimant owns %(owned)d units and filed %(claims)d claims.", owned=owned, claims=claims))
    hashes = select(ClaimEntry.file_sha256).where(ClaimEntry.claim_id == claim.id, ClaimEntry.file_sha256.is_not(None))
    reused = db.session.scalars(select(WarrantyClaim.number).join(ClaimEntry, ClaimEntry.claim_id == WarrantyClaim.id)
                                .where(ClaimEntry.file_sha256.in_(hashes), WarrantyClaim.id != claim.id,
                                       WarrantyClaim.manufacturer_id == claim.manufacturer_id).distinct()).all()
    if reused:
        signals.append(ngettext("The same photo appears on claim %(numbers)s.", "The same photo appears on claims %(numbers)s.",
                                len(reused), numbers=", ".join(reused)))
    if db.session.scalar(select(UnitEvent.id).where(UnitEvent.unit_id == unit.id,
                                                     UnitEvent.disposition == Disposition.STOLEN).limit(1)):
        signals.append(_("The unit was reported stolen before."))
    return signals


def save_terms(
    model: ProductModel,
    *,
    clock_start: str,
    grace_days: int,
    survives_transfer: bool,
    replacement_rule: str,
    scope: list[str],
    actor,
) -> WarrantyTerms:
    """Create or update the model's warranty terms; the audit entry keeps what they were before."""
    terms = db.session.scalar(select(WarrantyTerms).where(WarrantyTerms.model_id == model.id))
    before = (
        None
        if terms is None
        else {
            "clock_start": terms.clock_start.value,
            "grace_days": terms.grace_days,
            "survives_transfer": terms.survives_transfer,
            "replacement_rule": terms.replacement_rule.value,
            "scope": terms.scope,
        }
    )
    if terms is None:
        terms = WarrantyTerms(model_id=model.id)
        db.session.add(terms)
    terms.clock_start, terms.grace_days = ClockStart(clock_start), grace_days
    terms.survives_transfer, terms.replacement_rule = survives_transfer, ReplacementRule(replacement_rule)
    terms.scope = ",".join(s for s in ("parts", "labour") if s in scope)
    db.session.flush()
    audit.log(
        actor,
        "warranty_terms.saved",
        terms,
        manufacturer_id=model.manufacturer_id,
        model_id=model.id,
        before=before,
        clock_start=clock_start,
        grace_days=grace_days,
        survives_transfer=survives_transfer,
        replacement_rule=replacement_rule,
        scope=terms.scope,
    )
    return terms


def add_extension(
    unit: Unit, *, starts_on: date, months: int, scope: list[str], note: str, actor
) -> ExtendedCoverage:
    """Give one unit coverage beyond its terms (bought or goodwill); it counts from `starts_on`."""
    ext = ExtendedCoverage(
        unit_id=unit.id,
        starts_on=starts_on,
        months=months,
        note=(note or "").strip()[:200],
        scope=",".join(s for s in ("parts", "labour", "accidental") if s in scope),
    )
    db.session.add(ext)
    db.session.flush()
    audit.log(
        actor,
        "coverage.extended",
        ext,
        manufacturer_id=unit.manufacturer_id,
        unit_id=unit.id,
        starts_on=starts_on,
        months=months,
        scope=ext.scope,
        note=ext.note,
    )
    return ext
