"""Recall campaigns: draft, preview, launch, notices, late joiners, closing and reopening.

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
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from portal.accounts.models import User
from portal.catalog.models import Manufacturer, Unit
from portal.core import audit
from portal.core.db import UTCDateTime, utcnow
from portal.core.errors import Conflict, Invalid
from portal.extensions import db
from portal.notifications import queries as outbox
from portal.notifications.services import enqueue_many, withdraw
from portal.ownership.models import Ownership
from portal.recalls.contacts import erase_contacts_of_ended_campaign
from portal.recalls.models import (
    ACTIVE_CAMPAIGN_STATES,
    OPEN_UNIT_STATES,
    CampaignState,
    RecallCampaign,
    RecallNotice,
    RecallUnit,
    RecallUnitState,
    RemedyType,
    SafetyContact,
    completion_rate,
    notice_topic,
)
from portal.recalls.notice_rules import require_launchable
from portal.recalls.notices import recall_subject
from portal.recalls.owners import contact_ids as campaign_contact_ids
from portal.recalls.owners import contacted_units, emailed_units
from portal.recalls.owners import owner_ids as campaign_owner_ids
from portal.recalls.remedies import choose_remedy, record_remedy, remove_from_population  # noqa: F401 (callers)
from portal.recalls.targeting import affected_units, check_rules, hints, population

#: Free-text and short fields of the notice a draft carries, with their length limits (0: no limit).
NOTICE_FIELDS = {"consequence": 0, "remedy_instructions": 0, "remedy_options": 0, "contact": 300,
                 "product_description": 0, "identifier_location": 0, "sold_where": 0, "sold_by": 0,
                 "share_request": 0, "incidents": 0, "chronology": 0, "contact_phone": 40, "contact_url": 300,
                 "product_image": 255, "identifier_image": 255}


def _remedies(value) -> str:
    chosen = value.split(",") if isinstance(value, str) else list(value or [])
    wanted = {str(x).strip() for x in chosen if str(x).strip()}
    unknown = wanted - {r.value for r in RemedyType}
    if unknown:
        raise Invalid(_("Unknown remedy: %(names)s.", names=", ".join(sorted(unknown))), field="remedies")
    return ",".join(r.value for r in RemedyType if r.value in wanted)


def _countries(value) -> str:
    codes = value.replace(";", ",").split(",") if isinstance(value, str) else list(value or [])
    clean = [c.strip().upper() for c in codes if c.strip()]
    if any(len(c) != 2 or not c.isalpha() for c in clean):
        raise Invalid(_("Countries are two-letter codes such as FR, DE, BE."), field="countries")
    return ",".join(dict.fromkeys(clean))


def save_draft(tenant: Manufacturer, *, actor, campaign: RecallCampaign | None = None, **fields) -> RecallCampaign:
    """Create or edit a draft campaign. Only drafts change; a launched campaign's criteria are history.

    A draft may be incomplete; recalls.notice_rules says what is missing, and launch refuses until it is whole."""
    if campaign is not None and campaign.state is not CampaignState.DRAFT:
        raise Conflict(_("Only a draft can be edited."))
    number, title, hazard = (str(fields.get(k) or "").strip() for k in ("number", "title", "hazard"))
    if not number or not title or not hazard:
        raise Invalid(_("A campaign needs a number, a title and the hazard."), field="number" if not number else "hazard")
    if any(ch in number + title for ch in "\r\n"):
        raise Invalid(_("The number and the title are single lines."), field="title")
    clash = db.session.scalar(select(RecallCampaign.id).where(RecallCampaign.manufacturer_id == tenant.id,
                                                              RecallCampaign.number == number))
    if clash and (campaign is None or clash != campaign.id):
        raise Conflict(_("Campaign number %(number)s is already used.", number=number), field="number")
    rules = check_rules(fields.get("criteria") or {})
    campaign = campaign or RecallCampaign(manufacturer_id=tenant.id)
    campaign.number, campaign.title, campaign.hazard = number[:30], title[:200], hazard
    for name, limit in NOTICE_FIELDS.items():
        value = str(fields.get(name) or "").strip()
        setattr(campaign, name, value[:limit] if limit else value)
    campaign.remedy_type = RemedyType(fields.get("remedy_type") or "repair")
    campaign.remedies = _remedies(fields.get("remedies") or "")
    campaign.countries = _countries(fields.get("countries") or "")
    campaign.severity = (fields.get("severity") or "class II")[:20]
    campaign.stop_using = bool(fields.get("stop_using", True))
    for name in ("sold_from", "sold_to", "determined_on"):
        value = fields.get(name)
        setattr(campaign, name, date.fromisoformat(value) if isinstance(value, str) and value else value or None)
    if campaign.sold_from and campaign.sold_to and campaign.sold_to < campaign.sold_from:
        raise Invalid(_("The sales period ends before it starts."), field="sold_to")
    units_sold = fields.get("units_sold")
    campaign.units_sold = int(units_sold) if units_sold not in (None, "") else None
    campaign.criteria = json.dumps(rules)
    db.session.add(campaign)
    db.session.flush()
    audit.log(actor, "recall.draft_saved", campaign, manufacturer_id=tenant.id, number=campaign.number)
    return campaign


def preview(campaign: RecallCampaign, sample: int = 10) -> dict:
    """What launching would do: both counts of a component campaign and which is counted, a sample, how many
    units have an owner we can e-mail, how many owners will be told, and "did you mean" hints."""
    affected = affected_units(campaign).subquery()
    counted = population(campaign)
    reachable_units = select(affected.c.id).join(Ownership, and_(Ownership.is_current, or_(
        Ownership.unit_id == affected.c.id, Ownership.unit_id == affected.c.holder_id))).join(
        User, User.id == Ownership.owner_id).where(User.email_verified_at.is_not(None))
    reachable = db.session.scalar(select(func.count(distinct(reachable_units.subquery().c.id))))
    owners = db.session.scalar(select(func.count(distinct(Ownership.owner_id))).select_from(affected).join(
        Ownership, and_(Ownership.is_current, or_(Ownership.unit_id == affected.c.id,
                                                  Ownership.unit_id == affected.c.holder_id))))
    units = db.session.scalars(select(Unit).where(Unit.id.in_(select(affected.c.id))).order_by(Unit.id)
                               .limit(sample)).all()
    return {"count": counted.count, "population": counted, "reachable": reachable, "owners": owners,
            "sample": units, "hints": hints(campaign)}


def launch(campaign: RecallCampaign, *, remedy_available: bool, actor) -> int:
    """Materialize the affected units and the owners' notices, in the caller's transaction.

    The notice must be whole first (recalls.notice_rules: GPSR Art. 36 elements, forbidden wording,
    Art. 37 remedies)."""
    if campaign.state is not CampaignState.DRAFT:
        raise Conflict(_("This campaign was already launched."))
    require_launchable(campaign)
    now = utcnow()
    # Claim the draft first, in the database: of two managers pressing Launch at once, the second waits on
    # this row and then finds no draft left, instead of colliding on the affected units.
    state = CampaignState.ACTIVE if remedy_available else CampaignState.ACTIVE_NO_REMEDY
    claimed = db.session.execute(
        update(RecallCampaign).where(RecallCampaign.id == campaign.id, RecallCampaign.state == CampaignState.DRAFT)
        .values(state=state, launched_at=now, remedy_available_at=now if remedy_available else None)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise Conflict(_("This campaign was already launched."))
    db.session.expire(campaign, ["state", "launched_at", "remedy_available_at"])
    _insert_units(campaign, affected_units(campaign).subquery(), now)
    # Neither driver reports a usable rowcount for these INSERT ... SELECT statements, so count what landed.
    added = db.session.scalar(select(func.count()).select_from(RecallUnit).where(RecallUnit.campaign_id == campaign.id))
    if db.session.get_bind().dialect.name == "postgresql":
        # The outbox's notice batches join the rows just written: without their statistics the planner reads
        # every unit of the campaign per batch (docs/performance.md). ANALYZE counts this transaction's rows.
        db.session.execute(text("ANALYZE recall_units"))
    notify_owners(campaign, kind="remedy" if remedy_available else "interim", launching=True)
    audit.log(actor, "recall.launched", campaign, manufacturer_id=campaign.manufacturer_id, affected=added,
              state=campaign.state.value, remedy_unit=campaign.remedy_unit)
    return added


def _insert_units(campaign: RecallCampaign, affected, now, *, skip_existing: bool = False) -> None:
    """INSERT ... SELECT the affected units, each in its final state at once: "notified" when its owner (of
    the unit or of its holder) has a confirmed e-mail or a safety-only contact is registered for it. One
    outer join per link (at most one current ownership each) rather than a sub-query per column."""
    own_unit, own_holder = aliased(Ownership), aliased(Ownership)
    user_unit, user_holder = aliased(User), aliased(User)
    contact = exists().where(SafetyContact.unit_id.in_([affected.c.id, affected.c.holder_id]))
    reached = or_(user_unit.id.is_not(None), user_holder.id.is_not(None), contact)
    stamp = literal(now, UTCDateTime)
    rows = (select(literal(campaign.id), affected.c.id, affected.c.holder_id,
                   case((reached, literal(RecallUnitState.NOTIFIED.value)), else_=literal(RecallUnitState.OPEN.value)),
                   case((reached, stamp), else_=null()), stamp,
                   literal(""), literal(""), literal(""), literal(""), literal(""), literal(""), literal(""))
            .select_from(affected)
            .outerjoin(own_unit, and_(own_unit.unit_id == affected.c.id, own_unit.is_current))
            .outerjoin(user_unit, and_(user_unit.id == own_unit.owner_id, user_unit.email_verified_at.is_not(None)))
            .outerjoin(own_holder, and_(own_holder.unit_id == affected.c.holder_id, own_holder.is_current))
            .outerjoin(user_holder, and_(user_holder.id == own_holder.owner_id,
                                         user_holder.email_verified_at.is_not(None))))
    if skip_existing:
        rows = rows.where(~exists().where(RecallUnit.campaign_id == campaign.id, RecallUnit.unit_id == affected.c.id))
    db.session.execute(insert(RecallUnit).from_select(
        ["campaign_id", "unit_id", "holder_id", "state", "notified_at", "joined_at", "removed_reason",
         "recorded_by", "remedy_note", "remedy_place", "chosen_option", "remedy_choice", "remedy_kind"], rows))


def notify_owners(campaign: RecallCampaign, *, kind: str, round_: int = 0, owner_ids=None,
                  launching: bool = False) -> int:
    """One in-portal notice and one e-mail per owner of unremedied affected units (of the unit or of the
    assembly holding it), and one e-mail per safety-only contact, once per kind and round.

    `launching`: called by launch, which has just claimed the draft, so no notice or e-mail of this campaign
    can exist yet (plain inserts, without the per-row conflict check), and which already put reached units
    in the "notified" state as it inserted them (no closing UPDATE)."""
    now = literal(utcnow(), UTCDateTime)
    owners = campaign_owner_ids(campaign.id).subquery()
    pick = select(owners.c.owner_id)
    if owner_ids is not None:
        pick = pick.where(owners.c.owner_id.in_(owner_ids))
    pick = pick.subquery()
    # The unique constraints dedupe; ON CONFLICT DO NOTHING keeps that one pass (a NOT EXISTS against the
    # table being filled made PostgreSQL rescan it once per owner).
    db.session.execute(_insert_new(RecallNotice, launching).from_select(
        ["campaign_id", "user_id", "kind", "round", "created_at"],
        select(literal(campaign.id), pick.c.owner_id, literal(kind), literal(round_), now).where(true())))
    topic, context = notice_topic(campaign.id), {"campaign_id": campaign.id, "kind": kind, "round": round_}
    with force_locale("en"):  # stored in English; the worker writes it in each owner's language at send time
        subject = recall_subject(campaign)
    # The e-mails follow the in-portal notices of this kind and round (their unique index finds them), rather
    # than working out the owners a second time.
    noticed = select(RecallNotice.user_id).where(RecallNotice.campaign_id == campaign.id, RecallNotice.kind == kind,
                                                 RecallNotice.round == round_)
    if owner_ids is not None:
        noticed = noticed.where(RecallNotice.user_id.in_(owner_ids))
    # Through the outbox's bulk interface: one INSERT ... SELECT per kind of recipient, keyed so that repeating
    # a round sends nothing twice (the rows' keys are "recall:<campaign>:<kind>:<round>:<user>").
    accounts = select((literal(f"{kind}:{round_}:") + cast(User.id, String)).label("key"),
                      User.email.label("recipient"), User.id.label("user_id")).where(
        User.id.in_(noticed), User.email_verified_at.is_not(None))
    sent = enqueue_many(accounts, topic=topic, template="recall_notice", subject=subject, context=context,
                        new_topic=launching)
    # Safety-only contacts (Art. 35(2)): reached by every campaign, whatever the owner's account.
    if owner_ids is None:
        contacts = campaign_contact_ids(campaign.id).subquery()
        contact_context = (literal(json.dumps(context)[:-1] + ', "contact_id": ') + cast(SafetyContact.id, String)
                           + literal("}"))
        sent += enqueue_many(select((literal(f"{kind}:{round_}:c") + cast(SafetyContact.id, String)).label("key"),
                                    SafetyContact.email.label("recipient"), contact_context.label("context"))
                             .where(SafetyContact.id.in_(select(contacts.c.contact_id))),
                             topic=topic, template="recall_notice", subject=subject)
    if launching:
        return sent
    db.session.execute(update(RecallUnit).where(
        RecallUnit.campaign_id == campaign.id, RecallUnit.state == RecallUnitState.OPEN,
        or_(RecallUnit.id.in_(emailed_units(campaign.id)), RecallUnit.id.in_(contacted_units(campaign.id)))).values(state=RecallUnitState.NOTIFIED, notified_at=utcnow())
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
        raise Conflict(_("Only a campaign waiting for its remedy can make it available."))
    campaign.state, campaign.remedy_available_at = CampaignState.ACTIVE, utcnow()
    sent = notify_owners(campaign, kind="remedy")
    audit.log(actor, "recall.remedy_available", campaign, manufacturer_id=campaign.manufacturer_id, notices=sent)
    return sent


def follow_up(campaign: RecallCampaign, *, actor) -> int:
    """Remind owners of units not yet remedied (a new round each time it is asked for)."""
    if not campaign.state.is_active:
        raise Conflict(_("Follow-up notices go out only for an active campaign."))
    campaign.follow_up_rounds += 1
    sent = notify_owners(campaign, kind="follow_up", round_=campaign.follow_up_rounds)
    audit.log(actor, "recall.follow_up", campaign, manufacturer_id=campaign.manufacturer_id,
              round=campaign.follow_up_rounds, notices=sent)
    return sent


def closing_summary(campaign: RecallCampaign) -> dict:
    """What closing would mean, for the confirmation: the completion rate and the notices it withdraws."""
    stats = completion(campaign)
    pending = outbox.count(notice_topic(campaign.id), "pending")
    return {"rate": stats["rate"], "open": stats["affected"] - stats["removed"] - stats["remedied"],
            "pending": pending, "affected": stats["affected"]}


def close(campaign: RecallCampaign, *, actor, confirmed_rate: float | None = None, reason: str = "") -> int:
    """Closing stops notices: pending e-mails of this campaign are withdrawn from the outbox.

    The caller confirms the completion rate it showed (`confirmed_rate`, as a fraction); a rate that moved
    since, or no confirmation, is refused. Closing short of full completion needs a reason. Safety-only
    contacts whose units have no other active campaign are erased (Art. 35(2)). Returns the withdrawn count."""
    if not campaign.can_move_to(CampaignState.CLOSED):
        raise Conflict(_("Only an active campaign can be closed."))
    summary = closing_summary(campaign)
    if confirmed_rate is None or abs(confirmed_rate - summary["rate"]) > 0.005:
        raise Invalid(_("Confirm closing at %(rate)s completion.", rate=format(summary["rate"], ".0%")), field="confirm")
    if summary["open"] > 0 and not reason.strip():
        raise Invalid(_("%(count)s units are not remedied: say why the campaign closes now.", count=summary["open"]),
                      field="reason")
    campaign.state, campaign.closed_at = CampaignState.CLOSED, utcnow()
    withdrawn = withdraw(notice_topic(campaign.id), reason="campaign closed")
    erased = erase_contacts_of_ended_campaign(campaign)
    audit.log(actor, "recall.closed", campaign, manufacturer_id=campaign.manufacturer_id, withdrawn=withdrawn,
              completion=round(summary["rate"], 4), open_units=summary["open"], reason=reason.strip()[:500],
              contacts_erased=erased)
    return withdrawn


def reopen(campaign: RecallCampaign, *, actor, reason: str) -> None:
    """A closed campaign becomes active again (its remedy state as before); notices withdrawn at closing stay
    withdrawn: send a follow-up to reach owners again."""
    if campaign.state is not CampaignState.CLOSED:
        raise Conflict(_("Only a closed campaign can be reopened."))
    if not reason.strip():
        raise Invalid(_("Say why the campaign reopens."), field="reason")
    campaign.state = CampaignState.ACTIVE if campaign.remedy_available_at else CampaignState.ACTIVE_NO_REMEDY
    campaign.closed_at = None
    db.session.flush()
    audit.log(actor, "recall.reopened", campaign, manufacturer_id=campaign.manufacturer_id,
              completion=round(completion(campaign)["rate"], 4), reason=reason.strip()[:500])


def join_active_campaigns(tenant_id: int, unit_ids=None, owner_ids=None) -> None:
    """Units imported, assembled or registered after launch join every active campaign they match."""
    campaigns = db.session.scalars(select(RecallCampaign).where(
        RecallCampaign.manufacturer_id == tenant_id,
        RecallCampaign.state.in_(ACTIVE_CAMPAIGN_STATES))).all()
    for campaign in campaigns:  # a tenant has a handful of active campaigns; the units are set-based
        affected = affected_units(campaign).subquery()
        if unit_ids is not None:
            affected = select(affected).where(or_(affected.c.id.in_(unit_ids),
                                                  affected.c.holder_id.in_(unit_ids))).subquery()
        _insert_units(campaign, affected, utcnow(), skip_existing=True)
        notify_owners(campaign, kind="remedy" if campaign.state is CampaignState.ACTIVE else "interim",
                      owner_ids=owner_ids)


def recalls_for_unit(unit_id: int) -> list[RecallUnit]:
    """Every launched campaign the unit is part of (as the unit of remedy or as the assembly holding it),
    whatever its state or the unit's (for its page), newest first; `open_recalls_for_units` keeps only the
    unremedied ones of active campaigns."""
    return list(db.session.scalars(
        select(RecallUnit).join(RecallCampaign, RecallCampaign.id == RecallUnit.campaign_id)
        .where(or_(RecallUnit.unit_id == unit_id, RecallUnit.holder_id == unit_id),
               RecallCampaign.state != CampaignState.DRAFT)
        .order_by(RecallUnit.joined_at.desc())))


def open_recalls_for_units(unit_ids: list[int]) -> list[RecallUnit]:
    """Unremedied affected units among these (or held in them), in active campaigns (for an owner's banner)."""
    if not unit_ids:
        return []
    return list(db.session.scalars(
        select(RecallUnit).join(RecallCampaign, RecallCampaign.id == RecallUnit.campaign_id)
        .where(or_(RecallUnit.unit_id.in_(unit_ids), RecallUnit.holder_id.in_(unit_ids)),
               RecallUnit.state.in_(OPEN_UNIT_STATES), RecallCampaign.state.in_(ACTIVE_CAMPAIGN_STATES))))


def completion(campaign: RecallCampaign) -> dict:
    """Regulators' completion: remedied over (affected minus removed)."""
    counts = dict(db.session.execute(select(RecallUnit.state, func.count()).where(
        RecallUnit.campaign_id == campaign.id).group_by(RecallUnit.state)).all())
    affected = sum(counts.values())
    removed, remedied = counts.get(RecallUnitState.REMOVED, 0), counts.get(RecallUnitState.REMEDIED, 0)
    reachable = db.session.scalar(select(func.count()).select_from(emailed_units(campaign.id).subquery()))
    delivered = outbox.count(notice_topic(campaign.id), "sent")
    acknowledged = db.session.scalar(select(func.count()).select_from(RecallUnit).where(
        RecallUnit.campaign_id == campaign.id, RecallUnit.acknowledged_at.is_not(None)))
    return {
        "affected": affected, "removed": removed, "remedied": remedied, "reachable": reachable,
        "notified": counts.get(RecallUnitState.NOTIFIED, 0), "acknowledged": acknowledged,
        "open": counts.get(RecallUnitState.OPEN, 0), "delivered": delivered,
        "rate": completion_rate(remedied, affected, removed),
    }


def acknowledge(owner: User, recall_unit: RecallUnit, *, option: str = "", preferred_date: date | None = None):
    """The owner read the notice (without choosing among the remedies yet): recalls.remedies.choose_remedy."""
    return choose_remedy(owner, recall_unit, option=option, preferred_date=preferred_date)
