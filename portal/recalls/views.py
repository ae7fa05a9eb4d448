"""Public recall pages (lookup, active recalls, Atom feed) and the owner's acknowledgement."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal.accounts.forms import EmptyForm
from portal.catalog.models import Manufacturer
from portal.core.errors import DomainError
from portal.core.gs1 import GS1Error, canonical_gtin, canonical_serial
from portal.core.i18n import current_language
from portal.core.storage import stored_or_404
from portal.core.work import attempt, on_field
from portal.extensions import db, limiter
from portal.recalls.contacts import erase as erase_contact
from portal.recalls.contacts import find_by_token as find_contact
from portal.recalls.contacts import register as register_contact
from portal.recalls.feed import atom_feed
from portal.recalls.forms import AcknowledgeForm, SafetyRegistrationForm
from portal.recalls.lookup import asks_for_json, lookup_json, lookup_page
from portal.recalls.models import ACTIVE_CAMPAIGN_STATES, RecallCampaign
from portal.recalls.notice_rules import build_notice
from portal.recalls.notices import public_link
from portal.recalls.poster import render_poster
from portal.recalls.queries import (
    find_public_unit,
    launched_recall_unit,
    notice_for_owner,
    owner_ownership,
    public_campaign,
)
from portal.recalls.remedies import choose_remedy

bp = Blueprint("recalls", __name__)


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


@bp.get("/recalls/lookup")
@limiter.limit(_public_limit)
def lookup():
    """Anyone, no account: is this serial under an open recall? Answered in the words people know. The lean
    path answers the same through the same functions (recalls/lookup.py, recalls/lookup_lean.py)."""
    gtin, serial = request.args.get("gtin", "").strip(), request.args.get("serial", "").strip()
    if asks_for_json(request.args.get("format"), request.headers.get("Accept")):
        reply = lookup_json(gtin, serial)
        return Response(reply.body, status=reply.status, headers=list(reply.headers))
    return lookup_page(gtin, serial)


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


@bp.get("/my/recalls/campaign/<int:campaign_id>")
@login_required
def my_campaign_notice(campaign_id: int):
    """Where a recall e-mail links: the owner's notice of this campaign (her first open unit of it)."""
    recall_unit = notice_for_owner(current_user, campaign_id)
    if recall_unit is None:
        abort(404)
    return redirect(url_for(".notice", recall_unit_id=recall_unit.id))


@bp.route("/my/recalls/<int:recall_unit_id>", methods=["GET", "POST"])
@login_required
def notice(recall_unit_id: int):
    recall_unit = launched_recall_unit(recall_unit_id)
    if recall_unit is None:
        abort(404)
    ownership = owner_ownership(recall_unit, current_user)
    if ownership is None:
        abort(404)
    campaign = recall_unit.campaign
    form = AcknowledgeForm(data={"choice": recall_unit.remedy_choice, "option": recall_unit.chosen_option,
                                 "preferred_date": recall_unit.preferred_date} if request.method == "GET" else None)
    form.choice.choices = [SelectChoice("", _("No preference yet"))] + [
        SelectChoice(r.value, r.label) for r in campaign.offered]
    form.option.choices = [SelectChoice("", _("No preference"))] + [SelectChoice(o) for o in campaign.options]
    page = {"ru": recall_unit, "form": form, "ownership": ownership, "doc": build_notice(campaign)}
    if form.validate_on_submit():
        chosen = attempt(lambda: choose_remedy(current_user, recall_unit, choice=form.choice.data or "",
                                               option=form.option.data or "", preferred_date=form.preferred_date.data),
                         refused=on_field(form, form.choice))
        if not chosen:
            return render_template("recalls/notice.html", **page), chosen.refusal.status
        flash(_("Thank you: your choice is saved, and the manufacturer knows you have read the notice."), "success")
        return redirect(url_for(".notice", recall_unit_id=recall_unit.id))
    return render_template("recalls/notice.html", **page), 400 if form.errors else 200


@bp.get("/recalls/<maker>/<number>")
def public_notice(maker: str, number: str):
    """The campaign's public notice (GPSR Art. 35(4)): shareable, printable, in the reader's language."""
    campaign = public_campaign(maker, number)
    if campaign is None:
        abort(404)
    return render_template("recalls/public_notice.html", campaign=campaign, doc=build_notice(campaign),
                           link=public_link(campaign))


@bp.get("/recalls/<maker>/<number>/poster.pdf")
@limiter.limit(_public_limit)
def poster(maker: str, number: str):
    """An A4 poster of the notice for shops, with a QR code to the public page."""
    campaign = public_campaign(maker, number)
    if campaign is None:
        abort(404)
    response = make_response(render_poster(campaign))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f"inline; filename=recall-{campaign.id}-poster.pdf"
    return response


@bp.get("/recalls/<maker>/<number>/<any(product, identifiers):which>.img")
def notice_image(maker: str, number: str, which: str):
    campaign = public_campaign(maker, number)
    key = (campaign.product_image if which == "product" else campaign.identifier_image) if campaign else ""
    return send_file(stored_or_404(key), max_age=3600)


@bp.route("/recalls/safety-registration", methods=["GET", "POST"])
@limiter.limit(_public_limit, methods=["POST"])
def safety_registration():
    """Register a product for safety information only (GPSR Art. 35(2)): an e-mail address and the serial."""
    form = SafetyRegistrationForm()
    if form.validate_on_submit():
        try:
            gtin14, serial = canonical_gtin(form.gtin.data), canonical_serial(form.serial.data)
        except GS1Error as err:
            form.serial.errors.append(str(err))
            return render_template("recalls/safety_registration.html", form=form), 422
        unit = find_public_unit(gtin14, serial)
        if unit is None:
            form.serial.errors.append(_("No unit with GTIN %(gtin)s and serial %(serial)s is known to Provenance.",
                                        gtin=gtin14, serial=serial))
            return render_template("recalls/safety_registration.html", form=form), 404
        registered = attempt(lambda: register_contact(unit, form.email.data, locale=current_language()),
                             refused=on_field(form, form.email))
        if not registered:
            return render_template("recalls/safety_registration.html", form=form), registered.refusal.status
        return redirect(url_for(".safety_registration", done=1))  # post-redirect-get: Back sends nothing again
    if request.method == "GET" and request.args.get("done") == "1":
        return render_template("recalls/safety_registration.html", form=None, done=True)
    return render_template("recalls/safety_registration.html", form=form), 400 if form.errors else 200


@bp.route("/recalls/safety-registration/erase/<token>", methods=["GET", "POST"])
def safety_erase(token: str):
    """The erasure link of a safety-only registration: a confirmation page, then the address is gone."""
    try:
        find_contact(token)
    except DomainError:
        if request.method == "GET" and request.args.get("erased") == "1":  # where the erasure below leads
            return render_template("recalls/safety_erase.html", erased=True, form=None)
        return render_template("recalls/safety_erase.html", gone=True, form=None), 404
    form = EmptyForm()
    if form.validate_on_submit():
        erase_contact(token)
        db.session.commit()
        return redirect(url_for(".safety_erase", token=token, erased=1))  # post-redirect-get
    return render_template("recalls/safety_erase.html", form=form)
