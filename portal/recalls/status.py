"""A unit's recall status in the words people know, shared by the lookup page, its JSON and the verdict."""
from __future__ import annotations

from sqlalchemy import bindparam, exists, or_, select

from portal.catalog.models import Lot, Manufacturer, ProductModel, Unit
from portal.core.db import is_one_of
from portal.core.i18n import gettext as _
from portal.core.prebuilt import Prebuilt
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


def _recalls_of_unit():
    """The unit's recall rows in launched campaigns: as itself, as a part of an assembly recalled (its parents,
    grandparents: a cell in a recalled bike), or as the assembly holding a recalled part (`holder_id`)."""
    chain = select(Unit.id, Unit.parent_id).where(Unit.id == bindparam("unit_id")).cte("chain", recursive=True)
    chain = chain.union(select(Unit.id, Unit.parent_id).join(chain, Unit.id == chain.c.parent_id))
    return (select(RecallUnit.state, RecallCampaign.state, RecallCampaign.number, RecallCampaign.title,
                   Manufacturer.name, RecallCampaign.hazard, RecallCampaign.remedy_type,
                   RecallCampaign.remedy_instructions, RecallCampaign.contact)
            .join(RecallCampaign, RecallCampaign.id == RecallUnit.campaign_id)
            .join(Manufacturer, Manufacturer.id == RecallCampaign.manufacturer_id)
            .where(or_(RecallUnit.unit_id.in_(select(chain.c.id)), RecallUnit.holder_id == bindparam("unit_id")),
                   RecallCampaign.state != CampaignState.DRAFT)
            .order_by(RecallCampaign.launched_at))


RECALLS_OF_UNIT = Prebuilt(_recalls_of_unit)  # the public lookup is the lean path's: prebuilt (core/prebuilt.py)


def recall_status(unit) -> dict:
    """The recalls of the unit, of the part counted inside it, or of the assembly counted for it (a cell in a
    recalled bike reads the bike's recall). `unit`: a Unit, or anything read alike (recalls.queries.PublicUnit)."""
    recalls = []
    for unit_state, state, number, title, maker, hazard, remedy, instructions, contact in RECALLS_OF_UNIT.all(
            {"unit_id": unit.id}):
        if unit_state in OPEN_UNIT_STATES and state is CampaignState.ACTIVE_NO_REMEDY:
            words = _("Recall incomplete, remedy not yet available")
        elif unit_state in OPEN_UNIT_STATES and state is CampaignState.ACTIVE:
            words = _("Recall incomplete")
        elif unit_state is RecallUnitState.REMEDIED:
            words = _("Remedy completed")
        else:
            continue  # closed campaigns and units removed from the population
        recalls.append({"campaign": number, "title": title, "manufacturer": maker, "status": words,
                        "hazard": hazard, "remedy": remedy.value, "instructions": instructions,
                        "contact": contact, "open": unit_state in OPEN_UNIT_STATES})
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
