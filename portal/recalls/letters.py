"""Printed recall letters (one PDF per batch, WeasyPrint) for owners e-mail cannot reach."""
from __future__ import annotations

from typing import BinaryIO

from flask import render_template
from flask_babel import force_locale
from markupsafe import Markup
from sqlalchemy import exists, or_, select

from portal.accounts.models import User
from portal.core.i18n import user_locale
from portal.extensions import db
from portal.notifications.models import Notification
from portal.ownership.models import Ownership
from portal.recalls.models import OPEN_UNIT_STATES, RecallCampaign, RecallUnit
from portal.recalls.notices import HEADLINE, units_by_owner
from portal.recalls.owners import owns


def _unreachable(campaign: RecallCampaign):
    """Owners of unremedied units whose address is unconfirmed, or whose recall e-mail bounced for good."""
    bounced = exists().where(Notification.user_id == User.id, Notification.state == "dead",
                             Notification.dedupe_key.startswith(f"recall:{campaign.id}:"))
    owner_ids = (select(Ownership.owner_id).distinct().join(RecallUnit, owns(RecallUnit, Ownership))
                 .where(RecallUnit.campaign_id == campaign.id, RecallUnit.state.in_(OPEN_UNIT_STATES)))
    return select(User).where(User.id.in_(owner_ids), or_(User.email_verified_at.is_(None), bounced))


def unreachable_owners(campaign: RecallCampaign) -> list[User]:
    return list(db.session.scalars(_unreachable(campaign).order_by(User.id)))


def render_letters(campaign: RecallCampaign, out: BinaryIO) -> int:
    """One PDF for the batch; each letter speaks its owner's language (one batch may mix several)."""
    from weasyprint import HTML

    owners = unreachable_owners(campaign)
    if not owners:
        return 0
    units = units_by_owner(campaign.id, _unreachable(campaign).with_only_columns(User.id))
    sections = []
    for user in owners:
        with force_locale(user_locale(user)):
            letter = {"user": user, "units": units.get(user.id, [])}
            sections.append(Markup(render_template("recalls/_letter.html", campaign=campaign, letter=letter,
                                                   headline=str(HEADLINE))))
    html = render_template("recalls/letters.html", campaign=campaign, sections=sections)
    HTML(string=html).write_pdf(out)
    return len(sections)
