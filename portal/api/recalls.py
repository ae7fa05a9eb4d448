"""Recalls: the public status of a unit, the tenant's campaigns, and remedies done by service partners."""
from __future__ import annotations

from flask import g, jsonify

from portal.accounts.tenancy import scoped
from portal.api import services
from portal.api.blueprint import PageArgs, bp, current_token, operation, page, paged
from portal.api.models import Scope
from portal.api.schemas import CampaignPageSchema, RecallStatusSchema, RemedyResultSchema, RemedySchema
from portal.catalog.queries import unit_with
from portal.catalog.services import parse_gtin, parse_serial
from portal.core.errors import DomainError, NotFound
from portal.recalls.models import CampaignState, RecallCampaign
from portal.recalls.reports import campaign_progress
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
    unit = unit_with(gtin14, serial)
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
    items = [{"number": p.campaign.number, "title": p.campaign.title, "state": p.campaign.state.value,
              "hazard": p.campaign.hazard, "remedy": p.campaign.remedy_type.value,
              "launched_at": p.campaign.launched_at, "affected": p.affected, "remedied": p.remedied}
             for p in campaign_progress(campaigns)]
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
