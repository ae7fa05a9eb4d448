"""Public recall pages (lookup, active recalls, Atom feed) and the owner's acknowledgement."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal.catalog.models import Manufacturer, ProductModel, Unit
from portal.core.errors import DomainError
from portal.core.gs1 import GS1Error, canonical_gtin, canonical_serial
from portal.extensions import db, limiter
from portal.ownership.services import current_ownership
from portal.recalls import services
from portal.recalls.feed import atom_feed
from portal.recalls.forms import AcknowledgeForm
from portal.recalls.models import ACTIVE_CAMPAIGN_STATES, CampaignState, RecallCampaign, RecallUnit
from portal.recalls.status import recall_status

bp = Blueprint("recalls", __name__)


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


@bp.get("/recalls/lookup")
@limiter.limit(_public_limit)
def lookup():
    """Anyone, no account: is this serial under an open recall? Answered in the words people know."""
    gtin, serial = request.args.get("gtin", "").strip(), request.args.get("serial", "").strip()
    as_json = request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json"
    if not gtin and not serial and not as_json:
        return render_template("recalls/lookup.html", gtin="", serial="")
    try:
        gtin14, serial = canonical_gtin(gtin), canonical_serial(serial)
    except GS1Error as err:
        if as_json:
            return jsonify({"type": "https://provenance.example/problems/invalid", "title": "Invalid GTIN or serial",
                            "detail": str(err), "status": 422, "field": err.field}), 422, \
                {"Content-Type": "application/problem+json"}
        return render_template("recalls/lookup.html", gtin=gtin, serial=serial, error=str(err)), 422
    unit = db.session.scalar(select(Unit).join(ProductModel, ProductModel.id == Unit.model_id)
                             .where(ProductModel.gtin == gtin14, Unit.serial == serial))
    status = recall_status(unit) if unit else None
    if as_json:
        if unit is None:
            return jsonify({"type": "https://provenance.example/problems/not-found", "title": "Unknown unit",
                            "detail": f"No unit with GTIN {gtin14} and serial {serial} is known.", "status": 404}), 404
        return jsonify(status)
    if unit is None:
        return render_template("recalls/lookup.html", gtin=gtin, serial=serial,
                               error=_("No unit with GTIN %(gtin)s and serial %(serial)s is known to Provenance.",
                                       gtin=gtin14, serial=serial)), 404
    return render_template("recalls/lookup.html", gtin=gtin14, serial=serial, unit=unit, status=status)


def _active_campaigns():
    return db.session.scalars(select(RecallCampaign).where(RecallCampaign.state.in_(
        ACTIVE_CAMPAIGN_STATES)).order_by(RecallCampaign.launched_at.desc())).all()


@bp.get("/recalls")
def active():
    campaigns = _active_campaigns()
    by_maker: dict[Manufacturer, list] = {}
    for c in campaigns:
        by_maker.setdefault(c.manufacturer, []).append(c)
    return render_template("recalls/active.html", by_maker=by_maker)


@bp.get("/recalls.atom")
def feed():
    response = make_response(atom_feed(_active_campaigns(), current_app.config["BASE_URL"].rstrip("/")))
    response.mimetype = "application/atom+xml"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/my/recalls/<int:recall_unit_id>", methods=["GET", "POST"])
@login_required
def notice(recall_unit_id: int):
    recall_unit = db.session.get(RecallUnit, recall_unit_id)
    if recall_unit is None or recall_unit.campaign.state is CampaignState.DRAFT:
        abort(404)
    ownership = current_ownership(recall_unit.unit)
    if ownership is None or ownership.owner_id != current_user.id:
        abort(404)
    form = AcknowledgeForm()
    form.option.choices = [SelectChoice("", _("No preference"))] + [SelectChoice(o) for o in recall_unit.campaign.options]
    if form.validate_on_submit():
        try:
            services.acknowledge(current_user, recall_unit, option=form.option.data or "",
                                 preferred_date=form.preferred_date.data)
        except DomainError as err:
            db.session.rollback()
            (getattr(form, err.field or "", None) or form.option).errors.append(str(err))
            return render_template("recalls/notice.html", ru=recall_unit, form=form, ownership=ownership), err.status
        db.session.commit()
        flash(_("Thank you: the manufacturer knows you have read the notice."), "success")
        return redirect(url_for("ownership.unit", ownership_id=ownership.id))
    return render_template("recalls/notice.html", ru=recall_unit, form=form, ownership=ownership), (
        400 if form.errors else 200)
