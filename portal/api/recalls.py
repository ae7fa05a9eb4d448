"""Recalls: the public status of a unit, the tenant's campaigns, and remedies done by service partners."""
from __future__ import annotations

from flask import g, jsonify
from sqlalchemy import func, select

from portal.accounts.tenancy import scoped
from portal.api import services
from portal.api.blueprint import PageArgs, bp, current_token, operation, page, paged
from portal.api.models import Scope
from portal.api.schemas import CampaignPageSchema, RecallStatusSchema, RemedyResultSchema, RemedySchema
from portal.catalog.models import ProductModel, Unit
from portal.catalog.services import parse_gtin, parse_serial
from portal.core.errors import DomainError, NotFound
from portal.extensions import db
from portal.recalls.models import CampaignState, RecallCampaign, RecallUnit, RecallUnitState
from portal.recalls.status import recall_status


@bp.route("/recalls/<gtin:gtin>/<serial:serial>", methods=["GET"], tags=["Recalls"])
@operation(None, errors=(422,))
@bp.response(200, RecallStatusSchema)
def unit_recalls(gtin: str, serial: str):
    """Recall status of a unit (public)

    No token needed: the same answer as the public lookup page (/recalls/lookup?format=json) gives
    anyone who types the numbers in.
    """
    try:
        gtin14, serial = parse_gtin(gtin), parse_serial(serial)
    except DomainError as err:
        err.location = "path"
        raise
    unit = db.session.scalar(select(Unit).join(ProductModel, ProductModel.id == Unit.model_id)
                             .where(ProductModel.gtin == gtin14, Unit.serial == serial))
    if unit is None:
        raise NotFound(f"No unit with GTIN {gtin14} and serial {serial} is known.")
    return jsonify(recall_status(unit))


@bp.route("/campaigns", methods=["GET"], tags=["Recalls"])
@operation(Scope.RECALLS_READ, errors=(422,))
@bp.arguments(PageArgs, location="query")
@bp.response(200, CampaignPageSchema)
def list_campaigns(args: dict):
    """List recall campaigns

    Your launched campaigns (drafts are not shown) with how many units they affect and how many are
    remedied. Follow `next` for more.
    """
    stmt = scoped(RecallCampaign).where(RecallCampaign.state != CampaignState.DRAFT)
    campaigns, next_link = page(stmt, RecallCampaign.id, args)
    counts: dict[int, dict] = {}
    if campaigns:
        rows = db.session.execute(
            select(RecallUnit.campaign_id, RecallUnit.state, func.count())
            .where(RecallUnit.campaign_id.in_([c.id for c in campaigns]))
            .group_by(RecallUnit.campaign_id, RecallUnit.state))
        for campaign_id, state, n in rows:
            counts.setdefault(campaign_id, {})[state] = n
    items = [{"number": c.number, "title": c.title, "state": c.state.value, "hazard": c.hazard,
              "remedy": c.remedy_type.value, "launched_at": c.launched_at,
              "affected": sum(counts.get(c.id, {}).values()),
              "remedied": counts.get(c.id, {}).get(RecallUnitState.REMEDIED, 0)} for c in campaigns]
    return paged(items, next_link)


@bp.route("/remedies", methods=["POST"], tags=["Recalls"])
@operation(Scope.REMEDIES_WRITE, body=True)
@bp.arguments(RemedySchema)
@bp.response(201, RemedyResultSchema)
def record_remedy(data: dict):
    """Record a recall remedy

    A workshop reports that it did the remedy of a recall campaign on a unit: who, where, when and what.
    The unit leaves the campaign's open population and its owner stops getting reminders. A unit already
    remedied, or a campaign whose remedy is not available yet, is refused (409).
    """
    unit = services.find_tenant_unit(g.tenant, data["gtin"], data["serial"])
    recall_unit = services.remedy(g.tenant, data["campaign"], unit, by=data["by"], place=data.get("where", ""),
                                  note=data.get("what", ""), when=data.get("when"),
                                  actor=current_token().actor_label)
    return {"campaign": recall_unit.campaign.number, "gtin": unit.model.gtin, "serial": unit.serial,
            "state": recall_unit.state.value, "remedied_at": recall_unit.remedied_at,
            "by": recall_unit.recorded_by, "where": recall_unit.remedy_place, "what": recall_unit.remedy_note}
