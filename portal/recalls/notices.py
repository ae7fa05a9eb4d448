"""Rendering recall notices: the e-mail (text + HTML) the worker sends, and batches of printed letters.

Fan-out writes bare outbox rows; the text is made here at send time, listing each owner's affected units,
so one INSERT ... SELECT can notify a million owners.
"""
from __future__ import annotations

import json

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.accounts.models import User
from portal.catalog.models import Unit
from portal.core.i18n import user_locale
from portal.core.urls import external_url
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.recalls.models import RecallCampaign, RecallUnit

HEADLINE = _l("IMPORTANT SAFETY RECALL INFORMATION")


def owner_units(campaign_id: int, user_id: int) -> list[Unit]:
    return units_by_owner(campaign_id, [user_id]).get(user_id, [])


def units_by_owner(campaign_id: int, owner_ids) -> dict[int, list[Unit]]:
    """The campaign's units each of `owner_ids` (ids, or a subquery of them) owns now, with their models, in
    one query: a batch of letters needs them for every owner at once."""
    found: dict[int, list[Unit]] = {}
    for owner_id, unit in db.session.execute(
            select(Ownership.owner_id, Unit).join(RecallUnit, RecallUnit.unit_id == Unit.id)
            .join(Ownership, Ownership.unit_id == Unit.id).options(joinedload(Unit.model))
            .where(RecallUnit.campaign_id == campaign_id, Ownership.owner_id.in_(owner_ids), Ownership.is_current)
            .order_by(Unit.serial)):
        found.setdefault(owner_id, []).append(unit)
    return found


def notice_context(campaign: RecallCampaign, user: User, kind: str) -> dict:
    return {"campaign": campaign, "user": user, "kind": kind, "units": owner_units(campaign.id, user.id),
            "headline": HEADLINE, "link": external_url("ownership.my_products"),
            "lookup": external_url("recalls.lookup")}


def recall_subject(campaign: RecallCampaign) -> str:
    return _("IMPORTANT SAFETY RECALL: %(title)s", title=campaign.title)[:200]


def render_recall_notice(note) -> tuple[str, str, str]:
    """The worker's renderer: the owner's units and the owner's language, at send time."""
    data = json.loads(note.context)
    campaign, user = db.session.get(RecallCampaign, data["campaign_id"]), db.session.get(User, note.user_id)
    with force_locale(user_locale(user)):
        context = notice_context(campaign, user, data["kind"])
        return recall_subject(campaign), render_template("mail/recall_notice.txt", **context), render_template(
            "mail/recall_notice.html", **context)

