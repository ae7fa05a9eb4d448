"""Recall campaigns: draft, preview, launch, notices, remedies, late joiners, closing.

Launch and every fan-out are a few INSERT ... SELECT statements in the caller's transaction. Owners get
one notice per campaign and kind listing all their affected units; the e-mail is written to the outbox
with a dedupe key and rendered by the worker (portal.recalls.notices), so a million notices cost one
statement here.
"""
from __future__ import annotations

import json
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from portal.accounts.models import User
from portal.catalog.models import BizStep, Manufacturer, Unit
from portal.catalog.services import record_event
from portal.core import audit
from portal.core.db import UTCDateTime, utcnow
from portal.core.errors import Conflict, Invalid
from portal.extensions import db
from portal.notifications.models import Notification
from portal.ownership.models import Ownership
from portal.recalls.models import (
    ACTIVE_CAMPAIGN_STATES,
    OPEN_UNIT_STATES,
    REMOVAL_REASONS,
    CampaignState,
    RecallCampaign,
    RecallNotice,
    RecallUnit,
    RecallUnitState,
    RemedyType,
    completion_rate,
)
from portal.recalls.notices import recall_subject
from portal.recalls.targeting import affected_units, check_rules


def save_draft(tenant: Manufacturer, *, actor, campaign: RecallCampaign | None = None, **fields) -> RecallCampaign:
    """Create or edit a draft campaign. Only drafts change; a launched campaign's criteria are history."""
    if campaign is not None and campaign.state is not CampaignState.DRAFT:
        raise Conflict("Only a draft can be edited.")
    number, title, hazard = (fields.get(k, "").strip() for k in ("number", "title", "hazard"))
    if not number or not title or not hazard:
        raise Invalid("A campaign needs a number, a title and the hazard.", field="number" if not number else "hazard")
    clash = db.session.scalar(select(RecallCampaign.id).where(RecallCampaign.manufacturer_id == tenant.id,
                                                              RecallCampaign.number == number))
    if clash and (campaign is None or clash != campaign.id):
        raise Conflict(f"Campaign number {number} is already used.", field="number")
    rules = check_rules(fields.get("criteria") or {})
    campaign = campaign or RecallCampaign(manufacturer_id=tenant.id)
    campaign.number, campaign.title, campaign.hazard = number[:30], title[:200], hazard
    campaign.consequence = fields.get("consequence", "").strip()
    campaign.remedy_type = RemedyType(fields.get("remedy_type") or "repair")
    campaign.remedy_instructions = fields.get("remedy_instructions", "").strip()
    campaign.remedy_options = fields.get("remedy_options", "").strip()
    campaign.severity = (fields.get("severity") or "class II")[:20]
    campaign.contact = fields.get("contact", "").strip()[:300]
    campaign.criteria = json.dumps(rules)
    db.session.add(campaign)
    db.session.flush()
    audit.log(actor, "recall.draft_saved", campaign, manufacturer_id=tenant.id, number=campaign.number)
    return campaign


def preview(campaign: RecallCampaign, sample: int = 10) -> dict:
    """What launching would do: affected count, a sample, and how many have an owner we can reach."""
    affected = affected_units(campaign).subquery()
    count = db.session.scalar(select(func.count()).select_from(affected))
    reachable = db.session.scalar(
        select(func.count(distinct(Ownership.unit_id))).join(User, User.id == Ownership.owner_id)
        .where(Ownership.unit_id.in_(select(affected.c.id)), Ownership.is_current,
               User.email_verified_at.is_not(None)))
    owners = db.session.scalar(select(func.count(distinct(Ownership.owner_id)))
                               .where(Ownership.unit_id.in_(select(affected.c.id)), Ownership.is_current))
    units = db.session.scalars(select(Unit).where(Unit.id.in_(select(affected.c.id))).order_by(Unit.id)
                               .limit(sample)).all()
    return {"count": count, "reachable": reachable, "owners": owners, "sample": units}


def launch(campaign: RecallCampaign, *, remedy_available: bool, actor) -> int:
    """Materialize the affected units and the owners' notices, in the caller's transaction."""
    if campaign.state is not CampaignState.DRAFT:
        raise Conflict("This campaign was already launched.")
    now = utcnow()
    # Claim the draft first, in the database: of two managers pressing Launch at once, the second waits on
    # this row and then finds no draft left, instead of colliding on the affected units.
    state = CampaignState.ACTIVE if remedy_available else CampaignState.ACTIVE_NO_REMEDY
    claimed = db.session.execute(
        update(RecallCampaign).where(RecallCampaign.id == campaign.id, RecallCampaign.state == CampaignState.DRAFT)
        .values(state=state, launched_at=now, remedy_available_at=now if remedy_available else None)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise Conflict("This campaign was already launched.")
    db.session.expire(campaign, ["state", "launched_at", "remedy_available_at"])
    affected = affected_units(campaign).subquery()
    # Each unit lands in its final state at once: "notified" when its owner is reachable by e-mail. One
    # outer join per unit (at most one current ownership each) rather than a sub-query per column.
    owner = aliased(User)
    reached = owner.id.is_not(None)
    stamp = literal(now, UTCDateTime)
    db.session.execute(insert(RecallUnit).from_select(
        ["campaign_id", "unit_id", "state", "notified_at", "joined_at", "removed_reason", "recorded_by",
         "remedy_note", "remedy_place", "chosen_option"],
        select(literal(campaign.id), affected.c.id,
               case((reached, literal(RecallUnitState.NOTIFIED.value)), else_=literal(RecallUnitState.OPEN.value)),
               case((reached, stamp), else_=null()), stamp,
               literal(""), literal(""), literal(""), literal(""), literal(""))
        .select_from(affected)
        .outerjoin(Ownership, and_(Ownership.unit_id == affected.c.id, Ownership.is_current))
        .outerjoin(owner, and_(owner.id == Ownership.owner_id, owner.email_verified_at.is_not(None))),
    ))
    # Neither driver reports a usable rowcount for these INSERT ... SELECT statements, so count what landed.
    added = db.session.scalar(select(func.count()).select_from(RecallUnit).where(RecallUnit.campaign_id == campaign.id))
    notify_owners(campaign, kind="remedy" if remedy_available else "interim", launching=True)
    audit.log(actor, "recall.launched", campaign, manufacturer_id=campaign.manufacturer_id, affected=added,
              state=campaign.state.value)
    return added


def notify_owners(campaign: RecallCampaign, *, kind: str, round_: int = 0, owner_ids=None,
                  launching: bool = False) -> int:
    """One in-portal notice and one e-mail per owner of unremedied affected units, once per kind and round.

    `launching`: called by launch, which has just claimed the draft, so no notice or e-mail of this campaign
    can exist yet (plain inserts, without the per-row conflict check), and which already put reachable
    owners' units in the "notified" state as it inserted them (no closing UPDATE)."""
    now = literal(utcnow(), UTCDateTime)
    owners = (select(Ownership.owner_id.label("user_id")).distinct()
              .join(RecallUnit, RecallUnit.unit_id == Ownership.unit_id)
              .where(RecallUnit.campaign_id == campaign.id, Ownership.is_current, RecallUnit.state.in_(OPEN_UNIT_STATES)))
    if owner_ids is not None:
        owners = owners.where(Ownership.owner_id.in_(owner_ids))
    owners = owners.subquery()
    # The unique constraints dedupe; ON CONFLICT DO NOTHING keeps that one pass (a NOT EXISTS against the
    # table being filled made PostgreSQL rescan it once per owner).
    db.session.execute(_insert_new(RecallNotice, launching).from_select(
        ["campaign_id", "user_id", "kind", "round", "created_at"],
        select(literal(campaign.id), owners.c.user_id, literal(kind), literal(round_), now).where(true())))
    key = literal(f"recall:{campaign.id}:{kind}:{round_}:") + cast(User.id, String)
    context = json.dumps({"campaign_id": campaign.id, "kind": kind, "round": round_})
    with force_locale("en"):  # stored in English; the worker writes it in each owner's language at send time
        subject = recall_subject(campaign)
    prefix = Notification.dedupe_key.startswith(f"recall:{campaign.id}:{kind}:{round_}:")
    before = db.session.scalar(select(func.count()).select_from(Notification).where(prefix))
    # The e-mails follow the in-portal notices of this kind and round (their unique index finds them), rather
    # than working out the owners a second time.
    noticed = select(RecallNotice.user_id).where(RecallNotice.campaign_id == campaign.id, RecallNotice.kind == kind,
                                                 RecallNotice.round == round_)
    if owner_ids is not None:
        noticed = noticed.where(RecallNotice.user_id.in_(owner_ids))
    db.session.execute(_insert_new(Notification, launching).from_select(
        ["dedupe_key", "user_id", "channel", "recipient", "template", "subject", "body_text", "body_html", "context",
         "state", "attempts", "next_attempt_at", "created_at", "last_error"],
        select(key, User.id, literal("email"), User.email, literal("recall_notice"), literal(subject), literal(""),
               literal(""), literal(context), literal("pending"), literal(0), now, now, literal(""))
        .where(User.id.in_(noticed), User.email_verified_at.is_not(None))))
    sent = db.session.scalar(select(func.count()).select_from(Notification).where(prefix)) - before
    if launching:
        return sent
    reached = select(Ownership.unit_id).join(User, User.id == Ownership.owner_id).where(
        Ownership.is_current, User.email_verified_at.is_not(None))
    db.session.execute(update(RecallUnit).where(
        RecallUnit.campaign_id == campaign.id, RecallUnit.state == RecallUnitState.OPEN,
        RecallUnit.unit_id.in_(reached)).values(state=RecallUnitState.NOTIFIED, notified_at=utcnow())
        .execution_options(synchronize_session=False))
    return sent


def _insert_new(entity, nothing_to_skip: bool = False):
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike; a plain INSERT when the caller knows
    no row can conflict (PostgreSQL's speculative insertion costs on every row)."""
    if nothing_to_skip:
        return insert(entity)
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(entity).on_conflict_do_nothing()
    return sqlite_insert(entity).on_conflict_do_nothing()


def make_remedy_available(campaign: RecallCampaign, *, actor) -> int:
    if campaign.state is not CampaignState.ACTIVE_NO_REMEDY:
        raise Conflict("Only a campaign waiting for its remedy can make it available.")
    campaign.state, campaign.remedy_available_at = CampaignState.ACTIVE, utcnow()
    sent = notify_owners(campaign, kind="remedy")
    audit.log(actor, "recall.remedy_available", campaign, manufacturer_id=campaign.manufacturer_id, notices=sent)
    return sent


def follow_up(campaign: RecallCampaign, *, actor) -> int:
    """Remind owners of units not yet remedied (a new round each time it is asked for)."""
    if not campaign.state.is_active:
        raise Conflict("Follow-up notices go out only for an active campaign.")
    campaign.follow_up_rounds += 1
    sent = notify_owners(campaign, kind="follow_up", round_=campaign.follow_up_rounds)
    audit.log(actor, "recall.follow_up", campaign, manufacturer_id=campaign.manufacturer_id,
              round=campaign.follow_up_rounds, notices=sent)
    return sent


def close(campaign: RecallCampaign, *, actor) -> None:
    """Closing stops notices: pending e-mails of this campaign are withdrawn from the outbox."""
    if not campaign.can_move_to(CampaignState.CLOSED):
        raise Conflict("Only an active campaign can be closed.")
    campaign.state, campaign.closed_at = CampaignState.CLOSED, utcnow()
    withdrawn = db.session.execute(update(Notification).where(
        Notification.dedupe_key.startswith(f"recall:{campaign.id}:"), Notification.state == "pending")
        .values(state="dead", last_error="campaign closed")).rowcount
    audit.log(actor, "recall.closed", campaign, manufacturer_id=campaign.manufacturer_id, withdrawn=withdrawn)


def record_remedy(recall_unit: RecallUnit, *, by: str, note: str = "", place: str = "", actor=None) -> None:
    if recall_unit.state not in OPEN_UNIT_STATES:
        raise Conflict(f"This unit is already {recall_unit.state.value}.")
    if recall_unit.campaign.state is CampaignState.ACTIVE_NO_REMEDY:
        raise Conflict("The remedy of this campaign is not available yet.")
    recall_unit.state, recall_unit.remedied_at = RecallUnitState.REMEDIED, utcnow()
    recall_unit.recorded_by, recall_unit.remedy_note, recall_unit.remedy_place = by[:254], note[:500], place[:200]
    unit = recall_unit.unit
    record_event(unit, BizStep.REPAIRING, unit.status, actor=actor or by, place=place,
                 note=f"Recall {recall_unit.campaign.number} remedy" + (f": {note}" if note else ""))
    audit.log(actor or by, "recall.remedied", recall_unit, manufacturer_id=recall_unit.campaign.manufacturer_id,
              unit_id=recall_unit.unit_id, campaign=recall_unit.campaign.number, place=place)


def remove_from_population(recall_unit: RecallUnit, reason: str, *, by: str, actor=None) -> None:
    if reason not in REMOVAL_REASONS:
        raise Invalid(f"Choose one of: {', '.join(REMOVAL_REASONS)}.", field="reason")
    if recall_unit.state not in OPEN_UNIT_STATES:
        raise Conflict(f"This unit is already {recall_unit.state.value}.")
    recall_unit.state, recall_unit.removed_reason, recall_unit.recorded_by = RecallUnitState.REMOVED, reason, by[:254]
    recall_unit.remedied_at = None
    audit.log(actor or by, "recall.removed", recall_unit, manufacturer_id=recall_unit.campaign.manufacturer_id,
              unit_id=recall_unit.unit_id, reason=reason)


def acknowledge(owner: User, recall_unit: RecallUnit, *, option: str = "", preferred_date: date | None = None) -> None:
    """The owner read the notice; they may pick a remedy option and a date the campaign offers."""
    current = db.session.scalar(select(Ownership).where(Ownership.unit_id == recall_unit.unit_id,
                                                        Ownership.is_current, Ownership.owner_id == owner.id))
    if current is None:
        raise Invalid(_("Only the unit's current owner can acknowledge its recall."))
    if option and option not in recall_unit.campaign.options:
        raise Invalid(_("Choose one of the remedy options offered."), field="option")
    if preferred_date and preferred_date < date.today():
        raise Invalid(_("Choose a date from today on."), field="preferred_date")
    if recall_unit.state in (RecallUnitState.OPEN, RecallUnitState.NOTIFIED):
        recall_unit.state, recall_unit.acknowledged_at = RecallUnitState.ACKNOWLEDGED, utcnow()
    recall_unit.chosen_option, recall_unit.preferred_date = option, preferred_date
    db.session.execute(update(RecallNotice).where(RecallNotice.campaign_id == recall_unit.campaign_id,
                                                  RecallNotice.user_id == owner.id, RecallNotice.read_at.is_(None))
                       .values(read_at=utcnow()))
    audit.log(owner, "recall.acknowledged", recall_unit, manufacturer_id=recall_unit.campaign.manufacturer_id,
              unit_id=recall_unit.unit_id, option=option)


def join_active_campaigns(tenant_id: int, unit_ids=None, owner_ids=None) -> None:
    """Units imported, assembled or registered after launch join every active campaign they match."""
    campaigns = db.session.scalars(select(RecallCampaign).where(
        RecallCampaign.manufacturer_id == tenant_id,
        RecallCampaign.state.in_(ACTIVE_CAMPAIGN_STATES))).all()
    for campaign in campaigns:  # a tenant has a handful of active campaigns; the units are set-based
        affected = affected_units(campaign).subquery()
        candidates = select(affected.c.id).where(
            ~exists().where(RecallUnit.campaign_id == campaign.id, RecallUnit.unit_id == affected.c.id))
        if unit_ids is not None:
            candidates = candidates.where(affected.c.id.in_(unit_ids))
        now = literal(utcnow(), UTCDateTime)
        db.session.execute(insert(RecallUnit).from_select(
            ["campaign_id", "unit_id", "state", "joined_at", "removed_reason", "recorded_by", "remedy_note",
             "remedy_place", "chosen_option"],
            select(literal(campaign.id), candidates.subquery().c.id, literal("open"), now, literal(""), literal(""),
                   literal(""), literal(""), literal(""))))
        notify_owners(campaign, kind="remedy" if campaign.state is CampaignState.ACTIVE else "interim",
                      owner_ids=owner_ids)


def recalls_for_unit(unit_id: int) -> list[RecallUnit]:
    """Every launched campaign the unit is part of, whatever its state or the unit's (for its page), newest
    first; `open_recalls_for_units` keeps only the unremedied ones of active campaigns."""
    return list(db.session.scalars(
        select(RecallUnit).join(RecallCampaign, RecallCampaign.id == RecallUnit.campaign_id)
        .where(RecallUnit.unit_id == unit_id, RecallCampaign.state != CampaignState.DRAFT)
        .order_by(RecallUnit.joined_at.desc())))


def open_recalls_for_units(unit_ids: list[int]) -> list[RecallUnit]:
    """Unremedied affected units among these, in active campaigns (for an owner's banner)."""
    if not unit_ids:
        return []
    return list(db.session.scalars(
        select(RecallUnit).join(RecallCampaign, RecallCampaign.id == RecallUnit.campaign_id)
        .where(RecallUnit.unit_id.in_(unit_ids), RecallUnit.state.in_(OPEN_UNIT_STATES),
               RecallCampaign.state.in_(ACTIVE_CAMPAIGN_STATES))))


def completion(campaign: RecallCampaign) -> dict:
    """Regulators' completion: remedied over (affected minus removed)."""
    counts = dict(db.session.execute(select(RecallUnit.state, func.count()).where(
        RecallUnit.campaign_id == campaign.id).group_by(RecallUnit.state)).all())
    affected = sum(counts.values())
    removed, remedied = counts.get(RecallUnitState.REMOVED, 0), counts.get(RecallUnitState.REMEDIED, 0)
    reachable = db.session.scalar(select(func.count(distinct(RecallUnit.unit_id)))
                                  .join(Ownership, and_(Ownership.unit_id == RecallUnit.unit_id, Ownership.is_current))
                                  .join(User, User.id == Ownership.owner_id)
                                  .where(RecallUnit.campaign_id == campaign.id, User.email_verified_at.is_not(None)))
    delivered = db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.dedupe_key.startswith(f"recall:{campaign.id}:"), Notification.state == "sent"))
    acknowledged = db.session.scalar(select(func.count()).select_from(RecallUnit).where(
        RecallUnit.campaign_id == campaign.id, RecallUnit.acknowledged_at.is_not(None)))
    return {
        "affected": affected, "removed": removed, "remedied": remedied, "reachable": reachable,
        "notified": counts.get(RecallUnitState.NOTIFIED, 0), "acknowledged": acknowledged,
        "open": counts.get(RecallUnitState.OPEN, 0), "delivered": delivered,
        "rate": completion_rate(remedied, affected, removed),
    }
