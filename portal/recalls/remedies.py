"""One affected unit's way to its remedy: found by any serial it is known by, the owner's choice among the
remedies offered (Regulation (EU) 2023/988, Art. 37), the booking, and the record of what was done.

The owner's choice drives the workflow: a repair or a replacement is booked for a day and then recorded as
done; a refund needs no booking. The desk records what the owner chose; recording something else is refused.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from portal.accounts.models import User
from portal.catalog.models import BizStep, Manufacturer, Unit
from portal.catalog.services import record_event
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.recalls.models import (
    OPEN_UNIT_STATES,
    REMOVAL_REASONS,
    CampaignState,
    RecallCampaign,
    RecallNotice,
    RecallUnit,
    RecallUnitState,
    RemedyType,
)
from portal.recalls.targeting import loose_key, loose_text


def _ancestors(unit: Unit) -> list[int]:
    ids, seen = [], set()
    while unit is not None and unit.id not in seen:  # a handful of levels; the guard stops a cycle
        seen.add(unit.id)
        ids.append(unit.id)
        unit = unit.parent
    return ids


def affected_unit(campaign: RecallCampaign, unit: Unit) -> RecallUnit | None:
    """The campaign's unit of remedy for `unit`: the unit itself, the assembly counted for it, or the part
    counted inside it (when exactly one part of the assembly is affected)."""
    chain = _ancestors(unit)
    found = db.session.scalars(select(RecallUnit).where(RecallUnit.campaign_id == campaign.id,
                                                        RecallUnit.unit_id.in_(chain))).all()
    if found:
        return min(found, key=lambda ru: chain.index(ru.unit_id))
    held = db.session.scalars(select(RecallUnit).where(RecallUnit.campaign_id == campaign.id,
                                                       RecallUnit.holder_id == unit.id).limit(2)).all()
    return held[0] if len(held) == 1 else None


def find_by_serial(campaign: RecallCampaign, serial: str) -> RecallUnit:
    """The unit of remedy a dealer means by `serial` (a pack's serial finds the bike counted for it).

    Serials match case-insensitively when the manufacturer declares them so; otherwise a serial that only
    differs by case or separators is refused with what it probably meant."""
    typed = (serial or "").strip()
    folds = db.session.scalar(select(Manufacturer.identifiers_case_insensitive)
                              .where(Manufacturer.id == campaign.manufacturer_id))
    tenant_units = select(Unit).where(Unit.manufacturer_id == campaign.manufacturer_id)
    match = func.upper(Unit.serial) == typed.upper() if folds else Unit.serial == typed
    for unit in db.session.scalars(tenant_units.where(match).limit(20)):
        recall_unit = affected_unit(campaign, unit)
        if recall_unit is not None:
            return recall_unit
    near = db.session.scalars(select(Unit.serial).where(
        Unit.manufacturer_id == campaign.manufacturer_id, loose_key(Unit.serial) == loose_text(typed),
        Unit.serial != typed).limit(1)).first()
    if near:
        raise NotFound(_("Serial %(serial)s is not affected by this campaign. Did you mean %(near)s?", serial=typed,
                         near=near), field="serial")
    raise NotFound(_("Serial %(serial)s is not affected by this campaign.", serial=typed), field="serial")


def _owner_of(recall_unit: RecallUnit, owner: User) -> bool:
    return db.session.scalar(select(Ownership.id).where(
        Ownership.is_current, Ownership.owner_id == owner.id,
        or_(Ownership.unit_id == recall_unit.unit_id, Ownership.unit_id == recall_unit.holder_id))) is not None


def choose_remedy(owner: User, recall_unit: RecallUnit, *, choice: str = "", option: str = "",
                  preferred_date: date | None = None) -> RecallUnit:
    """The owner read the notice and says which remedy she wants (Art. 37), how and when. She may change her
    mind until the remedy is booked; the choice and date stay on the notice for her to see."""
    if not _owner_of(recall_unit, owner):
        raise Invalid(_("Only the unit's current owner can acknowledge its recall."))
    campaign = recall_unit.campaign
    if recall_unit.state not in OPEN_UNIT_STATES:
        raise Conflict(_("This unit's recall is already settled."))
    if recall_unit.scheduled_on is not None and (choice or recall_unit.remedy_choice) != recall_unit.remedy_choice:
        raise Conflict(_("Your remedy is booked; contact the manufacturer to change it."), field="choice")
    offered = [r.value for r in campaign.offered]
    if choice and choice not in offered:
        raise Invalid(_("Choose one of the remedies offered."), field="choice")
    if option and option not in campaign.options:
        raise Invalid(_("Choose one of the remedy options offered."), field="option")
    if preferred_date and preferred_date < date.today():
        raise Invalid(_("Choose a date from today on."), field="preferred_date")
    if choice == RemedyType.REFUND.value:
        preferred_date = None  # a refund is paid, not booked
    if recall_unit.state in (RecallUnitState.OPEN, RecallUnitState.NOTIFIED):
        recall_unit.state, recall_unit.acknowledged_at = RecallUnitState.ACKNOWLEDGED, utcnow()
    if recall_unit.scheduled_on is None:
        recall_unit.remedy_choice = choice
        recall_unit.preferred_date = preferred_date
    recall_unit.chosen_option = option
    db.session.execute(update(RecallNotice).where(RecallNotice.campaign_id == recall_unit.campaign_id,
                                                  RecallNotice.user_id == owner.id, RecallNotice.read_at.is_(None))
                       .values(read_at=utcnow()))
    db.session.flush()
    audit.log(owner, "recall.acknowledged", recall_unit, manufacturer_id=campaign.manufacturer_id,
              unit_id=recall_unit.unit_id, choice=choice, option=option,
              preferred_date=preferred_date.isoformat() if preferred_date else None)
    return recall_unit


def _already(recall_unit: RecallUnit) -> str:
    said = {"remedied": _("This unit is already remedied."), "removed": _("This unit is already removed.")}
    return said.get(recall_unit.state.value, _("This unit is already %(state)s.", state=recall_unit.state.value))


def schedule_remedy(recall_unit: RecallUnit, on: date, *, actor) -> RecallUnit:
    """The desk books the repair or replacement the owner chose; from now on the choice is fixed."""
    if recall_unit.state not in OPEN_UNIT_STATES:
        raise Conflict(_already(recall_unit))
    if recall_unit.campaign.state is not CampaignState.ACTIVE:
        raise Conflict(_("The remedy of this campaign is not available yet."))
    if recall_unit.remedy_choice == RemedyType.REFUND.value:
        raise Conflict(_("The owner chose a refund: there is nothing to book; record the refund when paid."))
    if not recall_unit.remedy_choice:
        raise Conflict(_("The owner has not chosen a remedy yet."))
    recall_unit.scheduled_on = on
    db.session.flush()
    audit.log(actor, "recall.remedy_scheduled", recall_unit, manufacturer_id=recall_unit.campaign.manufacturer_id,
              unit_id=recall_unit.unit_id, on=on.isoformat(), choice=recall_unit.remedy_choice)
    return recall_unit


def record_remedy(recall_unit: RecallUnit, *, by: str, note: str = "", place: str = "", actor=None,
                  kind: str = "") -> None:
    """The remedy was done. `kind` (repair, replace, refund) defaults to the owner's choice, else the
    campaign's main remedy; a different remedy than the owner chose is refused."""
    if recall_unit.state not in OPEN_UNIT_STATES:
        raise Conflict(_already(recall_unit))
    campaign = recall_unit.campaign
    if campaign.state is CampaignState.ACTIVE_NO_REMEDY:
        raise Conflict(_("The remedy of this campaign is not available yet."))
    kind = kind or recall_unit.remedy_choice or campaign.remedy_type.value
    if kind not in {r.value for r in RemedyType}:
        raise Invalid(_("The remedy is a repair, a replacement or a refund."), field="kind")
    if recall_unit.remedy_choice and kind != recall_unit.remedy_choice:
        raise Conflict(_("The owner chose %(remedy)s; record that, or let the owner change the choice first.",
                         remedy=RemedyType(recall_unit.remedy_choice).label.lower()), field="kind")
    recall_unit.state, recall_unit.remedied_at, recall_unit.remedy_kind = RecallUnitState.REMEDIED, utcnow(), kind
    recall_unit.recorded_by, recall_unit.remedy_note, recall_unit.remedy_place = by[:254], note[:500], place[:200]
    unit = recall_unit.unit
    record_event(unit, BizStep.REPAIRING, unit.status, actor=actor or by, place=place,
                 note=f"Recall {campaign.number} remedy ({kind})" + (f": {note}" if note else ""))
    if recall_unit.holder is not None:  # the bike's history shows its pack's remedy
        holder = recall_unit.holder
        record_event(holder, BizStep.REPAIRING, holder.status, actor=actor or by, place=place,
                     note=f"Recall {campaign.number} remedy ({kind}) of {unit.model.name} {unit.serial}")
    audit.log(actor or by, "recall.remedied", recall_unit, manufacturer_id=campaign.manufacturer_id,
              unit_id=recall_unit.unit_id, campaign=campaign.number, place=place, kind=kind)


def remove_from_population(recall_unit: RecallUnit, reason: str, *, by: str, actor=None) -> None:
    if reason not in REMOVAL_REASONS:
        raise Invalid(_("Choose one of: %(reasons)s.", reasons=", ".join(REMOVAL_REASONS)), field="reason")
    if recall_unit.state not in OPEN_UNIT_STATES:
        raise Conflict(_already(recall_unit))
    recall_unit.state, recall_unit.removed_reason, recall_unit.recorded_by = RecallUnitState.REMOVED, reason, by[:254]
    recall_unit.remedied_at = None
    audit.log(actor or by, "recall.removed", recall_unit, manufacturer_id=recall_unit.campaign.manufacturer_id,
              unit_id=recall_unit.unit_id, reason=reason)
