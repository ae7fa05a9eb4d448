"""A unit's recall status in the words people know, shared by the lookup page, its JSON and the verdict."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, or_, select

from portal.catalog.models import Lot, ProductModel, Unit
from portal.core.db import is_one_of
from portal.extensions import db
from portal.recalls.models import (
    ACTIVE_CAMPAIGN_STATES,
    OPEN_UNIT_STATES,
    CampaignState,
    RecallCampaign,
    RecallUnit,
    RecallUnitState,
)
from portal.recalls.targeting import direct_matches


def _chain(unit: Unit) -> list[int]:
    """The unit and the assemblies holding it, innermost first (a cell, its pack, its bike)."""
    ids, seen = [], set()
    while unit is not None and unit.id not in seen:
        seen.add(unit.id)
        ids.append(unit.id)
        unit = unit.parent
    return ids


def recall_status(unit: Unit) -> dict:
    """The recalls of the unit, of the part counted inside it, or of the assembly counted for it (a cell in a
    recalled bike reads the bike's recall)."""
    chain = _chain(unit)
    rows = db.session.execute(
        select(RecallUnit, RecallCampaign).join(RecallCampaign, RecallCampaign.id == RecallUnit.campaign_id)
        .where(or_(RecallUnit.unit_id.in_(chain), RecallUnit.holder_id == unit.id),
               RecallCampaign.state != CampaignState.DRAFT)
        .order_by(RecallCampaign.launched_at)).all()
    recalls = []
    for ru, c in rows:
        if ru.state in OPEN_UNIT_STATES and c.state is CampaignState.ACTIVE_NO_REMEDY:
            words = _("Recall incomplete, remedy not yet available")
        elif ru.state in OPEN_UNIT_STATES and c.state is CampaignState.ACTIVE:
            words = _("Recall incomplete")
        elif ru.state is RecallUnitState.REMEDIED:
            words = _("Remedy completed")
        else:
            continue  # closed campaigns and units removed from the population
        recalls.append({"campaign": c.number, "title": c.title, "manufacturer": c.manufacturer.name, "status": words,
                        "hazard": c.hazard, "remedy": c.remedy_type.value, "instructions": c.remedy_instructions,
                        "contact": c.contact, "open": ru.state in OPEN_UNIT_STATES})
    open_ = [r for r in recalls if r["open"]]
    summary = open_[0]["status"] if open_ else (_("Remedy completed") if recalls else _("No open recalls for this unit"))
    return {"gtin": unit.model.gtin, "serial": unit.serial, "product": unit.model.name, "status": summary,
            "open_recalls": len(open_), "recalls": recalls}


def open_recall_clause(unit_id: int):
    """EXISTS: the unit is unremedied in an active campaign (a clause, so callers can fold it into a query)."""
    return exists().where(or_(RecallUnit.unit_id == unit_id, RecallUnit.holder_id == unit_id),
                          is_one_of(RecallUnit.state, OPEN_UNIT_STATES),
                          RecallCampaign.id == RecallUnit.campaign_id,
                          is_one_of(RecallCampaign.state, ACTIVE_CAMPAIGN_STATES))


def has_open_recall(unit_id: int) -> bool:
    return bool(db.session.scalar(select(open_recall_clause(unit_id))))


def public_recalls(model_id: int, lot: str | None = None) -> list[dict]:
    """The active campaigns affecting a model (or one of its lots), as the public product page and the
    resolver's recall status show them: no owner or unit is named. A campaign counts when units of the model
    (lot) are in its population, or when its criteria name the model (and, if they name lots, this lot)."""

    affected = (select(RecallUnit.campaign_id)
                .join(Unit, or_(Unit.id == RecallUnit.unit_id, Unit.id == RecallUnit.holder_id))
                .where(Unit.model_id == model_id))
    if lot is not None:
        affected = affected.join(Lot, Lot.id == Unit.lot_id).where(Lot.code == lot)
    populated = set(db.session.scalars(affected.distinct()))
    campaigns = db.session.scalars(
        select(RecallCampaign).where(
            RecallCampaign.manufacturer_id == select(ProductModel.manufacturer_id)
            .where(ProductModel.id == model_id).scalar_subquery(),
            is_one_of(RecallCampaign.state, ACTIVE_CAMPAIGN_STATES))
        .order_by(RecallCampaign.launched_at)).all()

    def named(campaign: RecallCampaign) -> bool:
        """A unit of this model (lot) matches the campaign's criteria, even if the unit counted is the
        assembly holding it (a cell lot recalled by the bike)."""
        rules = campaign.rules
        lots = rules.get("lots") or []
        if model_id in (rules.get("model_ids") or []) and (lot is None or not lots or lot in lots):
            return True
        matches = direct_matches(campaign).where(Unit.model_id == model_id)
        if lot is not None:
            matches = matches.where(Unit.lot_id.in_(select(Lot.id).where(Lot.model_id == model_id, Lot.code == lot)))
        return bool(db.session.scalar(select(matches.exists())))

    return [{"campaign": c.number, "title": c.title, "hazard": c.hazard, "remedy": c.remedy_type.value,
             "instructions": c.remedy_instructions, "contact": c.contact,
             "remedy_available": c.state is CampaignState.ACTIVE}
            for c in campaigns if c.id in populated or named(c)]
