"""Reads for the recall pages: an owner's notices, the public notice of a campaign."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select

from portal.accounts.tenancy import scoped
from portal.catalog.models import Manufacturer, ProductModel, Unit
from portal.core.prebuilt import Prebuilt
from portal.extensions import db
from portal.notifications.models import Notification
from portal.ownership.models import Ownership
from portal.recalls.models import OPEN_UNIT_STATES, CampaignState, RecallCampaign, RecallUnit, notice_topic


def owner_ownership(recall_unit: RecallUnit, user) -> Ownership | None:
    """The user's current ownership of the recall's unit or of the assembly holding it, if any."""
    return db.session.scalar(select(Ownership).where(
        Ownership.is_current, Ownership.owner_id == user.id,
        or_(Ownership.unit_id == recall_unit.unit_id, Ownership.unit_id == recall_unit.holder_id)))


def notice_for_owner(user, campaign_id: int) -> RecallUnit | None:
    """The user's first unit in a launched campaign: an open one if she has any."""
    owned = select(Ownership.unit_id).where(Ownership.is_current, Ownership.owner_id == user.id)
    rows = db.session.scalars(
        select(RecallUnit).join(RecallCampaign, RecallCampaign.id == RecallUnit.campaign_id)
        .where(RecallUnit.campaign_id == campaign_id, RecallCampaign.state != CampaignState.DRAFT,
               or_(RecallUnit.unit_id.in_(owned), RecallUnit.holder_id.in_(owned)))
        .order_by(RecallUnit.id)).all()
    return next((r for r in rows if r.state in OPEN_UNIT_STATES), rows[0] if rows else None)


def public_campaign(maker: str, number: str) -> RecallCampaign | None:
    """A launched campaign by its manufacturer's short name and its number (drafts are not public)."""
    return db.session.scalar(select(RecallCampaign).join(Manufacturer, Manufacturer.id == RecallCampaign.manufacturer_id)
                             .where(Manufacturer.slug == maker, RecallCampaign.number == number,
                                    RecallCampaign.state != CampaignState.DRAFT))


@dataclass(frozen=True)
class PublicModel:
    gtin: str
    name: str


@dataclass(frozen=True)
class PublicUnit:
    """What the public lookup shows of a unit, read as `unit.serial`, `unit.model.name` like the ORM unit."""
    id: int
    serial: str
    model: PublicModel


def _by_serial(any_case: bool):
    found = (select(Unit.id, Unit.serial, ProductModel.gtin, ProductModel.name)
             .join(ProductModel, ProductModel.id == Unit.model_id).where(ProductModel.gtin == bindparam("gtin")))
    if not any_case:
        return found.where(Unit.serial == bindparam("serial"))
    return (found.join(Manufacturer, Manufacturer.id == Unit.manufacturer_id)
            .where(Manufacturer.identifiers_case_insensitive, func.upper(Unit.serial) == bindparam("serial"))
            .limit(1))


_BY_SERIAL = Prebuilt(lambda: _by_serial(False))  # the public lookup is the lean path's: prebuilt (core/prebuilt.py)
_BY_SERIAL_ANY_CASE = Prebuilt(lambda: _by_serial(True))


def public_unit(gtin14: str, serial: str) -> PublicUnit | None:
    """A unit by its GTIN and serial as printed (the manufacturer's declared case-insensitivity applies)."""
    row = (_BY_SERIAL.first({"gtin": gtin14, "serial": serial})
           or _BY_SERIAL_ANY_CASE.first({"gtin": gtin14, "serial": serial.upper()}))
    return None if row is None else PublicUnit(row[0], row[1], PublicModel(row[2], row[3]))


def find_public_unit(gtin14: str, serial: str) -> Unit | None:
    """`public_unit`, as the ORM unit (to register a contact for it)."""
    found = public_unit(gtin14, serial)
    return None if found is None else db.session.get(Unit, found.id)


def launched_recall_unit(recall_unit_id: int) -> RecallUnit | None:
    """An affected unit of a campaign that has been launched (a draft's units are nobody's business yet)."""
    recall_unit = db.session.get(RecallUnit, recall_unit_id)
    return None if recall_unit is None or recall_unit.campaign.state is CampaignState.DRAFT else recall_unit


def campaigns_of_tenant() -> list[RecallCampaign]:
    """The console tenant's campaigns, newest first."""
    return list(db.session.scalars(scoped(RecallCampaign).order_by(RecallCampaign.created_at.desc())))


def campaign_notification(campaign: RecallCampaign, notification_id: int) -> Notification | None:
    """A notice of this campaign in the outbox (its topic names the campaign), or None."""
    note = db.session.get(Notification, notification_id)
    return note if note is not None and note.topic == notice_topic(campaign.id) else None


def latest_notices(campaign: RecallCampaign, limit: int = 20) -> list[Notification]:
    """The campaign's newest notices in the outbox, for its dashboard."""
    return list(db.session.scalars(select(Notification).where(Notification.topic == notice_topic(campaign.id))
                                   .order_by(Notification.id.desc()).limit(limit)))
