"""Use cases that only the API has so far: a sale at the till, assembling units, a dated remedy.

They follow the area services' rules (plain arguments in, domain objects out, flush never commit) and
could move into catalog/ and recalls/ once pages need them too.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.catalog.models import BizStep, Disposition, Manufacturer, ProductModel, Unit, UnitEvent
from portal.catalog.services import parse_gtin, parse_serial, record_event
from portal.core import audit
from portal.core.countries import country_code
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.signals import units_landed
from portal.core.urls import external_url
from portal.extensions import db
from portal.notifications.services import enqueue
from portal.ownership.services import current_ownership
from portal.recalls.models import CampaignState, RecallCampaign, RecallUnit
from portal.recalls.remedies import affected_unit
from portal.recalls.services import record_remedy
from portal.recalls.status import has_open_recall
from portal.warranty.coverage import local_date

OUT_OF_SERVICE = (Disposition.DESTROYED, Disposition.INACTIVE)
MAX_DEPTH = 100


class FieldErrors(Invalid):
    """Several fields at fault at once; `errors` holds one entry per field."""

    def __init__(self, message: str, errors: list[dict]):
        super().__init__(message)
        self.errors = errors


def find_tenant_unit(tenant: Manufacturer, gtin: str, serial: str) -> Unit:
    """The tenant's unit with this GTIN and serial; another tenant's unit is as unknown as none at all."""
    gtin14, serial = parse_gtin(gtin), parse_serial(serial, case_insensitive=tenant.identifiers_case_insensitive)
    unit = db.session.scalar(
        select(Unit).join(ProductModel, ProductModel.id == Unit.model_id)
        .where(Unit.manufacturer_id == tenant.id, ProductModel.gtin == gtin14, Unit.serial == serial))
    if unit is None:
        raise NotFound(f"None of your units has GTIN {gtin14} and serial {serial}.")
    return unit


def record_sale(tenant: Manufacturer, unit: Unit, *, retailer: str, sold_on: date, buyer_email: str | None,
                actor: str, country: str | None = None) -> UnitEvent:
    """A shop sold the unit: a retail_selling event, and with the buyer's e-mail an invitation to register.

    A unit under an open recall is not sold (stop-sale), nor one reported stolen, taken out of service,
    or already sold and not returned since.
    """
    retailer = (retailer or "").strip()
    if not retailer:
        raise Invalid("Name the shop.", field="retailer")
    country = country_code(country)  # the shop's country (ISO 3166-1 alpha-2), optional
    if sold_on > local_date(utcnow()) + timedelta(days=1):  # a day's grace: the shop may sit east of us
        raise Invalid("The sale date lies in the future.", field="sold_on")
    if unit.manufactured_on and sold_on < unit.manufactured_on:
        raise Invalid("The sale date is before the unit was made.", field="sold_on")
    if unit.status is Disposition.STOLEN:
        raise Conflict("This unit is reported stolen. Do not sell it; contact the manufacturer.")
    if unit.status in OUT_OF_SERVICE:
        raise Conflict("This unit was taken out of service and cannot be sold.")
    if unit.status is Disposition.RETAIL_SOLD or current_ownership(unit) is not None:
        raise Conflict("This unit is already sold. A unit that comes back is first recorded as returned.")
    if has_open_recall(unit.id):
        raise Conflict("This unit is under an open recall: it may not be sold before the remedy is done.")
    at = utcnow() if sold_on == local_date(utcnow()) else datetime.combine(sold_on, time(12), UTC)
    event = record_event(unit, BizStep.RETAIL_SELLING, Disposition.RETAIL_SOLD, actor=actor, place=retailer,
                         occurred_at=at, note=f"Sold by {retailer}")
    event.country = country
    if buyer_email:
        link = external_url("ownership.register", gtin=unit.model.gtin, serial=unit.serial,
                            purchased_on=sold_on.isoformat(), retailer=retailer)
        enqueue(recipient=buyer_email, template="sale_invitation", subject=_l("Register your %(product)s", product=unit.model.name),
                dedupe_key=f"sale-invitation:{event.id}", product=unit.model.name, manufacturer=tenant.name,
                serial=unit.serial, retailer=retailer, sold_on=sold_on, link=link)
    audit.log(actor, "unit.sold", unit, manufacturer_id=tenant.id, retailer=retailer, sold_on=sold_on.isoformat(),
              invited=bool(buyer_email), country=country)
    return event


def attach_components(tenant: Manufacturer, assembly: Unit, refs: list[dict], *, actor: str) -> list[Unit]:
    """Build units into `assembly` (their parent becomes it), all or none.

    Refused: unknown units, a unit already built into another one (detach it first), and a cycle, i.e.
    the assembly itself or anything it is built into.
    """
    ancestors, node, depth = {assembly.id}, assembly, 0
    while node.parent_id is not None and depth < MAX_DEPTH:
        ancestors.add(node.parent_id)
        node, depth = db.session.get(Unit, node.parent_id), depth + 1
    parts, errors, conflicts, seen = [], [], [], set()
    for index, ref in enumerate(refs):
        field = f"components.{index}"
        try:
            part = find_tenant_unit(tenant, ref["gtin"], ref["serial"])
        except (Invalid, NotFound) as err:
            errors.append({"location": "json", "field": f"{field}.{err.field or 'serial'}", "detail": str(err)})
            continue
        if part.id in seen:
            errors.append({"location": "json", "field": field, "detail": "named twice"})
        elif part.id in ancestors:
            conflicts.append({"location": "json", "field": field,
                              "detail": "would put a unit inside itself (it is this unit or contains it)"})
        elif part.parent_id is not None and part.parent_id != assembly.id:
            conflicts.append({"location": "json", "field": field, "detail": "is already built into another unit"})
        seen.add(part.id)
        parts.append(part)
    if errors:
        raise FieldErrors("Some components are not among your units; nothing was attached.", errors)
    if conflicts:
        err = Conflict("Some components cannot go into this unit; nothing was attached.")
        err.errors = conflicts
        raise err
    label = f"{assembly.model.gtin}/{assembly.serial}"
    for part in parts:
        if part.parent_id == assembly.id:
            continue
        part.parent_id = assembly.id
        record_event(part, BizStep.INSTALLING, part.status, actor=actor, note=f"Built into {label}")
    db.session.flush()
    units_landed.send(tenant.id, unit_ids=None)  # active recalls re-check: the assembly may now hold a bad part
    audit.log(actor, "units.assembled", assembly, manufacturer_id=tenant.id,
              components=[f"{p.model.gtin}/{p.serial}" for p in parts])
    return list(db.session.scalars(select(Unit).where(Unit.parent_id == assembly.id).order_by(Unit.id)))


def remedy(tenant: Manufacturer, campaign_number: str, unit: Unit, *, by: str, place: str, note: str,
           when: datetime | None, actor: str) -> RecallUnit:
    """Record a recall remedy done at `when` (now if None), through recalls.services.record_remedy."""
    if not by.strip():
        raise Invalid("Say who did the remedy.", field="by")
    now = utcnow()
    if when is not None and when > now + timedelta(minutes=5):
        raise Invalid("The remedy cannot be dated in the future.", field="when")
    campaign = db.session.scalar(select(RecallCampaign).where(RecallCampaign.manufacturer_id == tenant.id,
                                                              RecallCampaign.number == campaign_number.strip(),
                                                              RecallCampaign.state != CampaignState.DRAFT))
    if campaign is None:
        raise NotFound(f"You have no recall campaign numbered {campaign_number.strip()}.")
    recall_unit = affected_unit(campaign, unit)  # a pack's serial finds the bike counted for it
    if recall_unit is None:
        raise Invalid(f"This unit is not affected by campaign {campaign.number}.", field="serial")
    if when is not None and campaign.launched_at and when < campaign.launched_at:
        raise Invalid("The remedy cannot be dated before the campaign was launched.", field="when")
    record_remedy(recall_unit, by=by.strip(), note=note.strip(), place=place.strip(), actor=actor)
    if when is not None:  # record_remedy stamps "now"; the workshop may report work done earlier
        recall_unit.remedied_at = when
        event = db.session.scalar(select(UnitEvent).where(UnitEvent.unit_id == unit.id)
                                  .order_by(UnitEvent.id.desc()).limit(1))
        event.occurred_at = when
        db.session.flush()
    return recall_unit

