"""Console pages of the recall desk (routes on the console blueprint)."""
from __future__ import annotations

import io

from flask import Response, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.accounts.tenancy import console as bp
from portal.accounts.tenancy import scoped, staff_required, tenant_scoped
from portal.catalog.models import ProductModel, Unit
from portal.core.errors import DomainError, NotFound
from portal.core.exports import csv_text
from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.services import mail_folder
from portal.recalls import services
from portal.recalls.forms import CampaignForm, RemedyForm
from portal.recalls.letters import render_letters
from portal.recalls.models import CampaignState, RecallCampaign, RecallUnit
from portal.recalls.reports import campaign_progress, completion_series, quarterly_rows, unit_rows

recall_staff = staff_required(Role.RECALL_MANAGER)


def _form(campaign: RecallCampaign | None = None) -> CampaignForm:
    form = CampaignForm(obj=campaign) if request.method == "GET" and campaign else CampaignForm()
    form.model_ids.choices = [SelectChoice(m.id, f"{m.name} ({m.gtin})")
                              for m in db.session.scalars(scoped(ProductModel).order_by(ProductModel.name))]
    if request.method == "GET" and campaign is None and request.args.get("lots"):  # from the quality page
        form.lots.data = request.args.get("lots", "")
        form.model_ids.data = request.args.getlist("model_ids", type=int)
    if request.method == "GET" and campaign:
        rules = campaign.rules
        form.model_ids.data = rules.get("model_ids", [])
        form.lots.data = ", ".join(rules.get("lots", []))
        form.serial_ranges.data = "\n".join(f"{r['from']}..{r['to']}" for r in rules.get("serial_ranges", []))
        form.include_assemblies.data = rules.get("include_assemblies", True)
    return form


def _fields(form: CampaignForm) -> dict:
    ranges = []
    for line in (form.serial_ranges.data or "").splitlines():
        if line.strip():
            first, _, last = line.partition("..")
            ranges.append({"from": first.strip(), "to": last.strip()})
    criteria = {"model_ids": form.model_ids.data or [], "serial_ranges": ranges,
                "lots": [x for x in (form.lots.data or "").split(",") if x.strip()],
                "made_from": form.made_from.data.isoformat() if form.made_from.data else None,
                "made_to": form.made_to.data.isoformat() if form.made_to.data else None,
                "include_assemblies": form.include_assemblies.data}
    names = ("number", "title", "hazard", "consequence", "severity", "remedy_type", "remedy_instructions",
             "remedy_options", "contact")
    return {**{n: getattr(form, n).data or "" for n in names}, "criteria": criteria}


@bp.get("/<tenant>/recalls")
def recalls():
    rows = db.session.scalars(scoped(RecallCampaign).order_by(RecallCampaign.created_at.desc())).all()
    launched = campaign_progress([c for c in rows if c.state is not CampaignState.DRAFT])
    return render_template("recalls/console_list.html", campaigns=rows, stats={p.campaign.id: p for p in launched})


@bp.route("/<tenant>/recalls/new", methods=["GET", "POST"])
@recall_staff
def new_recall():
    return _edit(None)


@bp.route("/<tenant>/recalls/<int:campaign_id>/edit", methods=["GET", "POST"])
@recall_staff
def edit_recall(campaign_id: int):
    return _edit(tenant_scoped(RecallCampaign, id=campaign_id))


def _edit(campaign: RecallCampaign | None):
    form = _form(campaign)
    if form.validate_on_submit():
        try:
            campaign = services.save_draft(g.tenant, actor=current_user, campaign=campaign, **_fields(form))
        except DomainError as err:
            db.session.rollback()
            (getattr(form, err.field or "", None) or form.number).errors.append(str(err))
        else:
            db.session.commit()
            flash("Draft saved. Check the preview before you launch.", "success")
            return redirect(url_for(".recall", campaign_id=campaign.id))
    return render_template("recalls/console_edit.html", form=form, campaign=campaign), 400 if form.errors else 200


@bp.get("/<tenant>/recalls/<int:campaign_id>")
def recall(campaign_id: int):
    campaign = tenant_scoped(RecallCampaign, id=campaign_id)
    if campaign.state is CampaignState.DRAFT:
        return render_template("recalls/console_draft.html", campaign=campaign, preview=services.preview(campaign),
                               form=EmptyForm())
    return _dashboard(campaign, RemedyForm())


def _dashboard(campaign: RecallCampaign, remedy_form: RemedyForm, status: int = 200):
    notices = db.session.scalars(select(Notification).where(
        Notification.dedupe_key.startswith(f"recall:{campaign.id}:")).order_by(Notification.id.desc()).limit(20)).all()
    eml = {n.id for n in notices if (mail_folder() / f"{n.id}.eml").is_file()}
    return render_template("recalls/console_dashboard.html", campaign=campaign, stats=services.completion(campaign),
                           series=completion_series(campaign), notices=notices, eml=eml, form=EmptyForm(),
                           remedy_form=remedy_form), status


@bp.post("/<tenant>/recalls/<int:campaign_id>/<action>")
@recall_staff
def recall_action(campaign_id: int, action: str):
    campaign = tenant_scoped(RecallCampaign, id=campaign_id)
    actions = {
        "launch": lambda: services.launch(campaign, remedy_available=request.form.get("remedy") == "available",
                                          actor=current_user),
        "remedy-available": lambda: services.make_remedy_available(campaign, actor=current_user),
        "follow-up": lambda: services.follow_up(campaign, actor=current_user),
        "close": lambda: services.close(campaign, actor=current_user),
    }
    if action not in actions or not EmptyForm().validate_on_submit():
        abort(404)
    try:
        result = actions[action]()
    except DomainError as err:
        db.session.rollback()
        flash(str(err), "error")
        return redirect(url_for(".recall", campaign_id=campaign_id))
    db.session.commit()
    messages = {"launch": f"Launched: {result} units affected; owners are being notified.",
                "remedy-available": f"Remedy available: {result} owners are being told.",
                "follow-up": f"Follow-up sent to {result} owners of unremedied units.",
                "close": "Campaign closed; pending notices were withdrawn."}
    flash(messages[action], "success")
    return redirect(url_for(".recall", campaign_id=campaign_id))


@bp.post("/<tenant>/recalls/<int:campaign_id>/remedies")
@staff_required(Role.RECALL_MANAGER, Role.CLAIMS_AGENT)
def record_remedy(campaign_id: int):
    """Service partners and recall staff record what happened to one affected unit."""
    campaign = tenant_scoped(RecallCampaign, id=campaign_id)
    form = RemedyForm()
    if not form.validate_on_submit():
        return _dashboard(campaign, form, 400)
    recall_unit = db.session.scalar(select(RecallUnit).join(Unit, Unit.id == RecallUnit.unit_id).where(
        RecallUnit.campaign_id == campaign.id, Unit.serial == form.serial.data.strip()))
    try:
        if recall_unit is None:
            raise NotFound(f"Serial {form.serial.data} is not affected by this campaign.")
        if form.outcome.data == "remedied":
            services.record_remedy(recall_unit, by=current_user.email, note=form.note.data or "",
                                   place=form.place.data or "", actor=current_user)
        else:
            services.remove_from_population(recall_unit, form.outcome.data, by=current_user.email, actor=current_user)
    except DomainError as err:
        db.session.rollback()
        form.serial.errors.append(str(err))
        return _dashboard(campaign, form, err.status)
    db.session.commit()
    flash(f"Recorded: {form.serial.data} {form.outcome.data}.", "success")
    return redirect(url_for(".recall", campaign_id=campaign_id))


@bp.get("/<tenant>/recalls/<int:campaign_id>/units.csv")
def recall_units_csv(campaign_id: int):
    return _csv(unit_rows(tenant_scoped(RecallCampaign, id=campaign_id)), f"recall-{campaign_id}-units.csv")


@bp.get("/<tenant>/recalls/<int:campaign_id>/report.csv")
def recall_report_csv(campaign_id: int):
    return _csv(quarterly_rows(tenant_scoped(RecallCampaign, id=campaign_id)), f"recall-{campaign_id}-quarterly.csv")


def _csv(rows, name: str) -> Response:
    return Response(csv_text(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/<tenant>/recalls/<int:campaign_id>/letters.pdf")
def recall_letters(campaign_id: int):
    campaign = tenant_scoped(RecallCampaign, id=campaign_id)
    pdf = io.BytesIO()
    count = render_letters(campaign, pdf)
    if not count:
        flash("Every affected owner is reachable by e-mail: no letters to print.", "info")
        return redirect(url_for(".recall", campaign_id=campaign_id))
    pdf.seek(0)
    return send_file(pdf, mimetype="application/pdf", as_attachment=True, download_name=f"recall-{campaign.number}-letters.pdf")


@bp.get("/<tenant>/recalls/<int:campaign_id>/notices/<int:notification_id>.eml")
def recall_notice_eml(campaign_id: int, notification_id: int):
    campaign = tenant_scoped(RecallCampaign, id=campaign_id)
    note = db.session.get(Notification, notification_id)
    path = mail_folder() / f"{notification_id}.eml"
    if note is None or not note.dedupe_key.startswith(f"recall:{campaign.id}:") or not path.is_file():
        abort(404)
    return send_file(path, mimetype="message/rfc822", as_attachment=True, download_name=f"notice-{notification_id}.eml")
