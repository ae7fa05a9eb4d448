"""Error declarations: an EPCIS event its sender declared erroneous stops counting, and nothing is deleted.

The captured event keeps its row and is marked (when, why, which events correct it); the unit events it
recorded are marked retracted, so a unit's history shows them struck through with the reason. What the
event had set is then recomputed from the events still standing:

- a unit's status is the disposition of its latest standing event that set one (an EPCIS event that gave
  no disposition only carried the status along, so it does not count); a unit left with no standing event
  (its commissioning was withdrawn) becomes inactive;
- the parent of a unit an AggregationEvent or AssociationEvent moved is found by playing again, in time
  order, the standing events of both types with a unit (SGTIN) as parent that name it as a child, or that
  took every child out of a parent it was in (DELETE without children): ADD links it, DELETE of that
  parent unlinks it, as capture does. None standing: no parent. TransactionEvent and TransformationEvent
  carry no child-to-parent link, and ObjectEvent no parent at all.

Recall targeting and the verdict read `units.status` and `units.parent_id`, so they follow at once;
active recalls re-check through `units_landed`.
"""
from __future__ import annotations

import json

from sqlalchemy import select, update

from portal.catalog.epcis.models import CapturedEpc, CapturedEvent, EpcRole
from portal.catalog.models import Disposition, Manufacturer, ProductModel, Unit, UnitEvent
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import NotFound
from portal.core.signals import units_landed
from portal.extensions import db

DISPOSITION_WORDS = [d.value for d in Disposition]
#: The event types whose parentID and childEPCs link a unit to a parent unit (capture.py, `_aggregate`).
LINKING = ("AggregationEvent", "AssociationEvent")


def retraction_text(declaration: dict) -> str:
    """What a retracted unit event says about why (stored in English, like other history notes)."""
    reason = declaration.get("reason_word") or "no reason given"
    text = f"Declared erroneous by its sender ({reason.replace('_', ' ')})"
    if declaration.get("correctiveEventIDs"):
        text += "; corrected by " + ", ".join(declaration["correctiveEventIDs"][:3])
    return text[:300]


def declare(tenant: Manufacturer, event_id: str, declaration: dict, *, actor: str) -> CapturedEvent:
    """Mark the tenant's event `event_id` erroneous and recompute what it had set. Flushes."""
    event = db.session.scalar(select(CapturedEvent).where(CapturedEvent.manufacturer_id == tenant.id,
                                                          CapturedEvent.event_id == event_id))
    if event is None:
        raise NotFound("No event with this eventID was captured for you.")
    if event.declared_at is not None:
        return event
    now = utcnow()
    event.declared_at = now
    event.declaration = json.dumps({k: v for k, v in declaration.items() if k not in ("reason_word", "when")},
                                   ensure_ascii=False)
    unit_ids = list(db.session.scalars(select(UnitEvent.unit_id).where(UnitEvent.epcis_event_id == event.id)))
    db.session.execute(update(UnitEvent).where(UnitEvent.epcis_event_id == event.id)
                       .values(retracted_at=now, retraction=retraction_text(declaration)))
    db.session.flush()
    for unit_id in unit_ids:
        _recompute_status(unit_id)
    if event.event_type in LINKING:
        for unit_id in unit_ids:
            _recompute_parent(tenant, unit_id)
    db.session.flush()
    db.session.expire_all()
    units_landed.send(tenant.id, unit_ids=unit_ids)
    audit.log(actor, "epcis.declared_erroneous", tenant, manufacturer_id=tenant.id, event_id=event_id,
              reason=declaration.get("reason", ""), units=len(unit_ids))
    return event


def _recompute_status(unit_id: int) -> None:
    latest = db.session.scalar(
        select(UnitEvent.disposition).outerjoin(CapturedEvent, CapturedEvent.id == UnitEvent.epcis_event_id)
        .where(UnitEvent.unit_id == unit_id, UnitEvent.retracted_at.is_(None),
               (UnitEvent.epcis_event_id.is_(None)) | CapturedEvent.disposition.in_(DISPOSITION_WORDS))
        .order_by(UnitEvent.occurred_at.desc(), UnitEvent.id.desc()).limit(1))
    db.session.execute(update(Unit).where(Unit.id == unit_id).values(status=latest or Disposition.INACTIVE))


def _recompute_parent(tenant: Manufacturer, unit_id: int) -> None:
    """The parent the standing linking events give the unit, played in time order as capture plays them."""
    unit = db.session.execute(select(ProductModel.gtin, Unit.serial).join(ProductModel, ProductModel.id == Unit.model_id)
                              .where(Unit.id == unit_id)).one()
    child, parent = CapturedEpc.__table__.alias("child"), CapturedEpc.__table__.alias("parent")
    standing = (CapturedEvent.manufacturer_id == tenant.id, CapturedEvent.event_type.in_(LINKING),
                CapturedEvent.declared_at.is_(None), CapturedEvent.action.in_(("ADD", "DELETE")),
                parent.c.epc.like("01/%"))
    order = (CapturedEvent.event_time, CapturedEvent.id)
    named = db.session.execute(
        select(CapturedEvent.event_time, CapturedEvent.id, CapturedEvent.action, parent.c.epc)
        .join(child, (child.c.event_pk == CapturedEvent.id) & (child.c.role == EpcRole.EPC.value))
        .join(parent, (parent.c.event_pk == CapturedEvent.id) & (parent.c.role == EpcRole.PARENT.value))
        .where(*standing, child.c.epc == f"01/{unit.gtin}/21/{unit.serial}").order_by(*order)).all()
    parents = sorted({row.epc for row in named if row.action == "ADD"})
    emptied = []  # DELETEs that named no child: they took every child out of that parent
    if parents:
        any_child = select(child.c.id).where(child.c.event_pk == CapturedEvent.id, child.c.role == EpcRole.EPC.value)
        emptied = db.session.execute(
            select(CapturedEvent.event_time, CapturedEvent.id, CapturedEvent.action, parent.c.epc)
            .join(parent, (parent.c.event_pk == CapturedEvent.id) & (parent.c.role == EpcRole.PARENT.value))
            .where(*standing, CapturedEvent.action == "DELETE", parent.c.epc.in_(parents), ~any_child.exists())
            .order_by(*order)).all()
    current = None
    for row in sorted([*named, *emptied], key=lambda r: (r.event_time, r.id)):
        if row.action == "ADD":
            current = row.epc
        elif row.epc == current:
            current = None
    parent_id = None
    if current is not None:
        _, gtin, _, serial = current.split("/", 3)
        parent_id = db.session.scalar(select(Unit.id).join(ProductModel, ProductModel.id == Unit.model_id)
                                      .where(Unit.manufacturer_id == tenant.id, ProductModel.gtin == gtin,
                                             Unit.serial == serial))
    if parent_id == unit_id:
        parent_id = None
    db.session.execute(update(Unit).where(Unit.id == unit_id).values(parent_id=parent_id))
