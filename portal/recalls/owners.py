"""Who is told about an affected unit: the current owner of the unit of remedy or of the assembly holding it
(a pack counted as the unit of remedy is owned through its bike), and safety-only contacts of either.

Every query here is a SELECT over the campaign's set of units, for the services and read models to fold in.
"""
from __future__ import annotations

from sqlalchemy import and_, or_, select, union
from sqlalchemy.sql import Select

from portal.accounts.models import User
from portal.ownership.models import Ownership
from portal.recalls.models import OPEN_UNIT_STATES, RecallUnit, SafetyContact


def owns(recall_unit=RecallUnit, ownership=Ownership):
    """Join clause: `ownership` is current and covers the recall unit or its holder."""
    return and_(ownership.is_current, or_(ownership.unit_id == recall_unit.unit_id,
                                          ownership.unit_id == recall_unit.holder_id))


def owner_ids(campaign_id: int, *, open_only: bool = True) -> Select:
    """SELECT DISTINCT owner_id of the campaign's units (open ones only by default); one pass per link."""
    selects = []
    for column in (RecallUnit.unit_id, RecallUnit.holder_id):
        stmt = (select(Ownership.owner_id.label("owner_id")).select_from(RecallUnit)
                .join(Ownership, and_(Ownership.unit_id == column, Ownership.is_current))
                .where(RecallUnit.campaign_id == campaign_id))
        if open_only:
            stmt = stmt.where(RecallUnit.state.in_(OPEN_UNIT_STATES))
        selects.append(stmt)
    return union(*selects)


def emailed_units(campaign_id: int) -> Select:
    """SELECT recall_units.id of the campaign whose owner has a confirmed e-mail address."""
    selects = []
    for column in (RecallUnit.unit_id, RecallUnit.holder_id):
        selects.append(select(RecallUnit.id).join(Ownership, and_(Ownership.unit_id == column, Ownership.is_current))
                       .join(User, User.id == Ownership.owner_id)
                       .where(RecallUnit.campaign_id == campaign_id, User.email_verified_at.is_not(None)))
    return union(*selects)


def contacted_units(campaign_id: int) -> Select:
    """SELECT recall_units.id of the campaign with a safety-only contact for the unit or its holder."""
    selects = [select(RecallUnit.id).join(SafetyContact, SafetyContact.unit_id == column)
               .where(RecallUnit.campaign_id == campaign_id) for column in (RecallUnit.unit_id, RecallUnit.holder_id)]
    return union(*selects)


def contact_ids(campaign_id: int, *, open_only: bool = True) -> Select:
    """SELECT DISTINCT safety_contacts.id for the campaign's (open) units or their holders."""
    selects = []
    for column in (RecallUnit.unit_id, RecallUnit.holder_id):
        stmt = (select(SafetyContact.id.label("contact_id")).select_from(RecallUnit)
                .join(SafetyContact, SafetyContact.unit_id == column).where(RecallUnit.campaign_id == campaign_id))
        if open_only:
            stmt = stmt.where(RecallUnit.state.in_(OPEN_UNIT_STATES))
        selects.append(stmt)
    return union(*selects)


def owned_units(campaign_id: int) -> Select:
    """SELECT recall_units.id of the campaign whose unit or holder has a current owner (any account)."""
    selects = [select(RecallUnit.id).join(Ownership, and_(Ownership.unit_id == column, Ownership.is_current))
               .where(RecallUnit.campaign_id == campaign_id) for column in (RecallUnit.unit_id, RecallUnit.holder_id)]
    return union(*selects)
