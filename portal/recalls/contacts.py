"""Registration for safety information only (Regulation (EU) 2023/988, Art. 35(2)).

Anyone registers a unit with just an e-mail address: no account, no marketing. The address serves recall
notices of that unit (every campaign reaches it, see recalls.owners) and nothing else. It is erased on
request (a link in the confirmation e-mail) or when the unit's campaigns end (recalls.services.close).
"""
from __future__ import annotations

import hashlib
import re
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, or_, select, update

from portal.catalog.models import Unit
from portal.core import audit
from portal.core.errors import Invalid, NotFound
from portal.core.urls import external_url
from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.services import enqueue
from portal.recalls.models import ACTIVE_CAMPAIGN_STATES, RecallCampaign, RecallUnit, SafetyContact

#: One line, something@domain.tld, no spaces: enough to be deliverable, never a header injection.
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register(unit: Unit, email: str, *, locale: str = "en") -> SafetyContact:
    """Register `email` for safety information about `unit`; the confirmation carries the erasure link.
    Registering the same address for the same unit again sends a fresh link (the old one stops working)."""
    from portal.recalls.services import join_active_campaigns  # the two modules of recalls need each other

    email = (email or "").strip()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise Invalid(_l("Give an e-mail address such as name@example.com."), field="email")
    token = secrets.token_urlsafe(24)
    contact = db.session.scalar(select(SafetyContact).where(SafetyContact.unit_id == unit.id,
                                                            SafetyContact.email == email))
    if contact is None:
        contact = SafetyContact(manufacturer_id=unit.manufacturer_id, unit_id=unit.id, email=email)
        db.session.add(contact)
    contact.token_hash, contact.locale = _hash(token), (locale or "en")[:5]
    db.session.flush()
    enqueue(recipient=email, template="recall_safety_registered", dedupe_key=f"safety:{contact.id}:{contact.token_hash[:24]}",
            subject=_l("Safety information about your product"), unit=unit,
            erase_link=external_url("recalls.safety_erase", token=token))
    audit.log(None, "recall.safety_contact_registered", contact, manufacturer_id=unit.manufacturer_id,
              unit_id=unit.id)
    join_active_campaigns(unit.manufacturer_id, [unit.id])  # an open recall reaches the new contact at once
    return contact


def find_by_token(token: str) -> SafetyContact:
    contact = db.session.scalar(select(SafetyContact).where(SafetyContact.token_hash == _hash(token or "")))
    if contact is None:
        raise NotFound(_l("This link is not valid any more: the registration may already be erased."))
    return contact


def _forget(contact_ids) -> None:
    """Delete the contacts and strip their address from the outbox's history of their notices."""
    for contact_id in contact_ids:
        db.session.execute(update(Notification).where(Notification.dedupe_key.like(f"recall:%:c{contact_id}"))
                           .values(recipient="erased", context="{}").execution_options(synchronize_session=False))
    db.session.execute(delete(SafetyContact).where(SafetyContact.id.in_(list(contact_ids)))
                       .execution_options(synchronize_session=False))


def erase(token: str) -> None:
    """The contact asked: the address is gone, from the registration and the notices sent to it."""
    contact = find_by_token(token)
    manufacturer_id, contact_id = contact.manufacturer_id, contact.id
    _forget([contact_id])
    audit.log(None, "recall.safety_contact_erased", None, manufacturer_id=manufacturer_id, contact_id=contact_id,
              why="request")


def erase_contacts_of_ended_campaign(campaign: RecallCampaign) -> int:
    """When a campaign ends, its units' safety-only contacts go, unless another active campaign still needs
    them. Returns how many were erased."""
    other_active = exists().where(
        RecallUnit.campaign_id != campaign.id, RecallCampaign.id == RecallUnit.campaign_id,
        RecallCampaign.state.in_(ACTIVE_CAMPAIGN_STATES),
        or_(RecallUnit.unit_id == SafetyContact.unit_id, RecallUnit.holder_id == SafetyContact.unit_id))
    mine = select(RecallUnit.unit_id).where(RecallUnit.campaign_id == campaign.id).union(
        select(RecallUnit.holder_id).where(RecallUnit.campaign_id == campaign.id, RecallUnit.holder_id.is_not(None)))
    ids = list(db.session.scalars(select(SafetyContact.id).where(SafetyContact.unit_id.in_(mine), ~other_active)))
    if ids:
        _forget(ids)
        audit.log(None, "recall.safety_contacts_erased", campaign, manufacturer_id=campaign.manufacturer_id,
                  count=len(ids), why="campaign ended")
    return len(ids)
