"""Rendering recall notices: the e-mail (text + HTML) the worker sends, and what printed letters share.

Fan-out writes bare outbox rows; the text is made here at send time, listing each owner's affected units,
so one INSERT ... SELECT can notify a million owners. Each notice follows the GPSR template (the elements
of recalls.notice_rules, in their order) in the recipient's language first, then in the language of every
other country where the product was sold that the portal speaks.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, union_all
from sqlalchemy.orm import aliased, joinedload

from portal.accounts.models import User
from portal.catalog.models import ProductModel, Unit
from portal.core.i18n import LANGUAGES, user_locale
from portal.core.urls import external_url
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.recalls.models import RecallCampaign, RecallUnit, SafetyContact
from portal.recalls.notice_rules import build_notice

HEADLINE = _l("IMPORTANT SAFETY RECALL INFORMATION")

#: The languages spoken in a country, among those the portal writes (en, fr, de).
COUNTRY_LANGUAGES = {
    "AT": ("de",), "BE": ("fr", "de"), "CH": ("de", "fr"), "DE": ("de",), "FR": ("fr",), "LI": ("de",),
    "LU": ("fr", "de"), "MC": ("fr",), "GB": ("en",), "IE": ("en",), "MT": ("en",), "US": ("en",),
    "CA": ("en", "fr"), "AU": ("en",), "NZ": ("en",),
}


def notice_languages(campaign: RecallCampaign, first: str) -> list[str]:
    """The reader's language, then those of the other countries where the product was sold."""
    spoken = [lang for code in campaign.country_codes for lang in COUNTRY_LANGUAGES.get(code, ())]
    return list(dict.fromkeys([first if first in LANGUAGES else "en", *spoken]))


@dataclass(frozen=True)
class AffectedUnit:
    """A unit of remedy as a notice names it: "Cell, serial C-001 (in your Bike B-001)"."""
    model: ProductModel
    serial: str
    holder: Unit | None = None


def owner_units(campaign_id: int, user_id: int) -> list[AffectedUnit]:
    return units_by_owner(campaign_id, [user_id]).get(user_id, [])


def units_by_owner(campaign_id: int, owner_ids) -> dict[int, list[AffectedUnit]]:
    """The campaign's units of remedy each of `owner_ids` (ids, or a subquery of them) owns now, directly or
    through the assembly holding them, with their models, in one query. The two ways are two index joins put
    together (UNION ALL: no ownership row matches both, a unit never holds itself); one join on either column
    made PostgreSQL read all of the campaign's units for every batch."""
    owned = (select(Ownership.owner_id, Ownership.unit_id)
             .where(Ownership.owner_id.in_(owner_ids), Ownership.is_current).subquery())
    reached = union_all(*(
        select(owned.c.owner_id, RecallUnit.unit_id, RecallUnit.holder_id)
        .join(RecallUnit, column == owned.c.unit_id).where(RecallUnit.campaign_id == campaign_id)
        for column in (RecallUnit.unit_id, RecallUnit.holder_id))).subquery()
    found: dict[int, list[AffectedUnit]] = {}
    holder = aliased(Unit)
    for owner_id, unit, held_by in db.session.execute(
            select(reached.c.owner_id, Unit, holder).join(Unit, Unit.id == reached.c.unit_id)
            .outerjoin(holder, holder.id == reached.c.holder_id)
            .options(joinedload(Unit.model)).order_by(Unit.serial)):
        found.setdefault(owner_id, []).append(AffectedUnit(unit.model, unit.serial, held_by))
    return found


def public_link(campaign: RecallCampaign) -> str:
    return external_url("recalls.public_notice", maker=campaign.manufacturer.slug, number=campaign.number)


def notice_context(campaign: RecallCampaign, user: User | None, kind: str, *, units=None) -> dict:
    link = (external_url("recalls.my_campaign_notice", campaign_id=campaign.id) if user is not None
            else public_link(campaign))
    return {"campaign": campaign, "user": user, "kind": kind, "headline": HEADLINE, "link": link,
            "units": units if units is not None else owner_units(campaign.id, user.id),
            "doc": build_notice(campaign), "public_link": public_link(campaign),
            "lookup": external_url("recalls.lookup")}


def recall_subject(campaign: RecallCampaign) -> str:
    return _("IMPORTANT SAFETY RECALL: %(title)s", title=campaign.title)[:200]


def render_recall_notice(note) -> tuple[str, str, str]:
    """The worker's renderer: the owner's units and languages, at send time. A safety-only contact (no
    account) reads the same notice about the unit she registered, with the public notice page as its link."""
    data = json.loads(note.context or "{}")
    campaign = db.session.get(RecallCampaign, data["campaign_id"])
    if data.get("contact_id"):
        contact = db.session.get(SafetyContact, data["contact_id"])
        first, user, units = contact.locale, None, [AffectedUnit(contact.unit.model, contact.unit.serial)]
    else:
        user = db.session.get(User, note.user_id)
        first, units = user_locale(user), None
    texts, pages = [], []
    for language in notice_languages(campaign, first):
        with force_locale(language):
            context = notice_context(campaign, user, data["kind"], units=units)
            context["contact_only"] = user is None
            texts.append(render_template("mail/recall_notice.txt", **context))
            pages.append(render_template("mail/recall_notice.html", **context))
    with force_locale(first):
        subject = recall_subject(campaign)
    return subject, "\n\n----------\n\n".join(texts), "<hr>".join(pages)
