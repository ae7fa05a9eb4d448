"""Console pages of the recall desk (routes on the console blueprint)."""
from __future__ import annotations

import io

from flask import Response, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.accounts.tenancy import console as bp
from portal.accounts.tenancy import scoped, staff_required, tenant_scoped
from portal.catalog.models import ProductModel
from portal.catalog.services import declare_identifier_case
from portal.core.errors import Invalid
from portal.core.exports import csv_text
from portal.core.storage import store_image
from portal.core.work import attempt, on_field
from portal.extensions import db
from portal.notifications.services import mail_folder
from portal.recalls import notice_rules, queries, remedies, services
from portal.recalls.deadlines import deadlines
from portal.recalls.forms import CampaignForm, CloseForm, RemedyForm, ReopenForm, ScheduleForm
from portal.recalls.letters import render_letters
from portal.recalls.models import CampaignState, RecallCampaign
from portal.recalls.reach import campaign_reach
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
        form.remedy_unit.data = campaign.remedy_unit
        form.remedies.data = [r.value for r in campaign.offered]
    return form


def _picture(form_field, current: str) -> str:
    """A new upload replaces the picture; no upload keeps the one the draft has."""
    upload = form_field.data
    if upload is None or not getattr(upload, "filename", ""):
        return current
    return store_image(upload.read(), upload.filename, field=form_field.name).key


def _fields(form: CampaignForm, campaign: RecallCampaign | None) -> dict:
    ranges = []
    for line in (form.serial_ranges.data or "").splitlines():
        if line.strip():
            first, _, last = line.partition("..")
            ranges.append({"from": first.strip(), "to": last.strip()})
    criteria = {"model_ids": form.model_ids.data or [], "serial_ranges": ranges,
                "lots": [x for x in (form.lots.data or "").split(",") if x.strip()],
                "made_from": form.made_from.data.isoformat() if form.made_from.data else None,
                "made_to": form.made_to.data.isoformat() if form.made_to.data else None,
                "remedy_unit": form.remedy_unit.data}
    names = ("number", "title", "hazard", "consequence", "severity", "remedy_type", "remedy_instructions",
             "remedy_options", "contact", "product_description", "identifier_location", "sold_where", "sold_by",
             "countries", "contact_phone", "contact_url", "share_request", "incidents", "chronology")
    return {**{n: getattr(form, n).data or "" for n in names}, "criteria": criteria,
            "remedies": form.remedies.data or [], "stop_using": form.stop_using.data,
            "sold_from": form.sold_from.data, "sold_to": form.sold_to.data, "determined_on": form.determined_on.data,
            "units_sold": form.units_sold.data,
            "product_image": _picture(form.product_image, campaign.product_image if campaign else ""),
            "identifier_image": _picture(form.identifier_image, campaign.identifier_image if campaign else "")}


@bp.get("/<tenant>/recalls")
def recalls():
    rows = queries.campaigns_of_tenant()
    launched = campaign_progress([c for c in rows if c.state is not CampaignState.DRAFT])
    return render_template("recalls/console_list.html", campaigns=rows, stats={p.campaign.id: p for p in launched},
                           form=EmptyForm())


@bp.post("/<tenant>/recalls/identifier-case")
@staff_required()
def identifier_case():
    """Tenant admins declare whether the manufacturer's lots and serials are case-insensitive."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    declare_identifier_case(g.tenant, request.form.get("case_insensitive") == "yes", actor=current_user)
    db.session.commit()
    flash(_("Lots and serials now match in any case.") if g.tenant.identifiers_case_insensitive
          else _("Lots and serials now match only as written."), "success")
    return redirect(url_for(".recalls"))


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
        saved = attempt(lambda: services.save_draft(g.tenant, actor=current_user, campaign=campaign,
                                                    **_fields(form, campaign)), refused=on_field(form, form.number))
        if saved:
            flash(_("Draft saved. Check the preview before you launch."), "success")
            return redirect(url_for(".recall", campaign_id=saved.value.id))
    return render_template("recalls/console_edit.html", form=form, campaign=campaign), 400 if form.errors else 200


@bp.get("/<tenant>/recalls/<int:campaign_id>")
def recall(campaign_id: int):
    campaign = tenant_scoped(RecallCampaign, id=campaign_id)
    if campaign.state is CampaignState.DRAFT:
        return render_template("recalls/console_draft.html", campaign=campaign, preview=services.preview(campaign),
                               problems=notice_rules.check(campaign), form=EmptyForm())
    return _dashboard(campaign, RemedyForm())


def _dashboard(campaign: RecallCampaign, remedy_form: RemedyForm, status: int = 200):
    timeline = deadlines(campaign)
    periodic = [d for d in timeline if d.key.startswith(("nhtsa-quarterly-", "nhtsa-annual-"))]
    upcoming = next((d for d in periodic if d.state == "due"), None)
    shown = [d for d in timeline if d not in periodic or d.state in ("late", "done") or d is upcoming]
    notices = queries.latest_notices(campaign)
    eml = {n.id for n in notices if (mail_folder() / f"{n.id}.eml").is_file()}
    return render_template("recalls/console_dashboard.html", campaign=campaign, stats=services.completion(campaign),
                           series=completion_series(campaign), notices=notices, eml=eml, form=EmptyForm(),
                           remedy_form=remedy_form, schedule_form=ScheduleForm(prefix="schedule"),
                           reach=campaign_reach(campaign),
                           timeline=shown, late=sum(d.state == "late" for d in timeline)), status


@bp.post("/<tenant>/recalls/<int:campaign_id>/<action>")
@recall_staff
def recall_action(campaign_id: int, action: str):
    campaign = tenant_scoped(RecallCampaign, id=campaign_id)
    actions = {
        "launch": lambda: services.launch(campaign, remedy_available=request.form.get("remedy") == "available",
                                          actor=current_user),
        "remedy-available": lambda: services.make_remedy_available(campaign, actor=current_user),
        "follow-up": lambda: services.follow_up(campaign, actor=current_user),
    }
    if action not in actions or not EmptyForm().validate_on_submit():
        abort(404)
    done = attempt(actions[action])
    if not done:
        return redirect(url_for(".recall", campaign_id=campaign_id))
    result = done.value
    messages = {"launch": lambda: _("Launched: %(count)s units affected; owners are being notified.", count=result),
                "remedy-available": lambda: _("Remedy available: %(count)s owners are being told.", count=result),
                "follow-up": lambda: _("Follow-up sent to %(count)s owners of unremedied units.", count=result)}
    flash(messages[action](), "success")
    return redirect(url_for(".recall", campaign_id=campaign_id))


@bp.post("/<tenant>/recalls/<int:campaign_id>/remedies")
@staff_required(Role.RECALL_MANAGER, Role.CLAIMS_AGENT)
def record_remedy(campaign_id: int):
    """Service partners and recall staff record what happened to one affected unit."""
    campaign = tenant_scoped(RecallCampaign, id=campaign_id)
    form = RemedyForm()
    if not form.validate_on_submit():
        return _dashboard(campaign, form, 400)
    def record() -> None:
        recall_unit = remedies.find_by_serial(campaign, form.serial.data)
        if form.outcome.data == "remedied":
            remedies.record_remedy(recall_unit, by=current_user.email, note=form.note.data or "",
                                   place=form.place.data or "", actor=current_user, kind=form.kind.data or "")
        else:
            remedies.remove_from_population(recall_unit, form.outcome.data, by=current_user.email, actor=current_user)
    recorded = attempt(record, refused=on_field(form, form.serial))
    if not recorded:
        return _dashboard(campaign, form, recorded.refusal.status)
    outcomes = {"remedied": _("remedied"), "exported": _("exported"), "scrapped": _("scrapped"), "stolen": _("stolen"),
                "unreachable": _("unreachable")}
    flash(_("Recorded: %(serial)s %(outcome)s.", serial=form.serial.data,
            outcome=outcomes.get(form.outcome.data, form.outcome.data)), "success")
    return redirect(url_for(".recall", campaign_id=campaign_id))


@bp.route("/<tenant>/recalls/<int:campaign_id>/close", methods=["GET", "POST"])
@recall_staff
def close_recall(campaign_id: int):
    """Closing asks first: the page states the completion rate and what closing withdraws."""
    campaign = tenant_scoped(RecallCampaign, id=campaign_id)
    if not campaign.state.is_active:
        abort(404)
    summary = services.closing_summary(campaign)
    form = CloseForm(data={"confirm_rate": f"{summary['rate']:.4f}"} if request.method == "GET" else None)
    if form.validate_on_submit():
        closed = attempt(lambda: services.close(campaign, actor=current_user, confirmed_rate=_rate(form.confirm_rate.data),
                                                reason=form.reason.data or ""), refused=on_field(form, form.confirm))
        if not closed:
            return render_template("recalls/console_close.html", campaign=campaign, summary=summary, form=form), 400
        rate = format(summary["rate"], ".0%")
        flash(_("Campaign closed at %(rate)s completion; %(pending)s pending notices withdrawn.", rate=rate,
                pending=summary["pending"]), "success")
        return redirect(url_for(".recall", campaign_id=campaign_id))
    return render_template("recalls/console_close.html", campaign=campaign, summary=summary, form=form), (
        400 if form.errors else 200)


def _rate(text: str) -> float:
    """The completion rate the closing form carries back (a hidden field: refused as the form's, if altered)."""
    try:
        return float(text)
    except ValueError as err:
        raise Invalid(str(err), field="confirm") from None


@bp.route("/<tenant>/recalls/<int:campaign_id>/reopen", methods=["GET", "POST"])
@recall_staff
def reopen_recall(campaign_id: int):
    campaign = tenant_scoped(RecallCampaign, id=campaign_id)
    if campaign.state is not CampaignState.CLOSED:
        abort(404)
    form = ReopenForm()
    if form.validate_on_submit():
        reopened = attempt(lambda: services.reopen(campaign, actor=current_user, reason=form.reason.data),
                           refused=on_field(form, form.reason))
        if not reopened:
            return render_template("recalls/console_reopen.html", campaign=campaign, form=form,
                                   stats=services.completion(campaign)), reopened.refusal.status
        flash(_("Campaign reopened. Withdrawn notices stay withdrawn: send a follow-up to reach owners again."),
              "success")
        return redirect(url_for(".recall", campaign_id=campaign_id))
    return render_template("recalls/console_reopen.html", campaign=campaign, form=form,
                           stats=services.completion(campaign)), 400 if form.errors else 200


@bp.post("/<tenant>/recalls/<int:campaign_id>/schedule")
@staff_required(Role.RECALL_MANAGER, Role.CLAIMS_AGENT)
def schedule_remedy(campaign_id: int):
    """Book the repair or replacement an owner chose; the owner can no longer change the choice."""
    campaign = tenant_scoped(RecallCampaign, id=campaign_id)
    form = ScheduleForm(prefix="schedule")
    if not form.validate_on_submit():
        flash(_("Give the serial and the day the remedy is booked for."), "error")
        return redirect(url_for(".recall", campaign_id=campaign_id))
    if not attempt(lambda: remedies.schedule_remedy(remedies.find_by_serial(campaign, form.serial.data), form.on.data,
                                                    actor=current_user)):
        return redirect(url_for(".recall", campaign_id=campaign_id))
    flash(_("Booked: %(serial)s on %(date)s.", serial=form.serial.data, date=form.on.data.isoformat()), "success")
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
        flash(_("Every affected owner is reachable by e-mail: no letters to print."), "info")
        return redirect(url_for(".recall", campaign_id=campaign_id))
    pdf.seek(0)
    return send_file(pdf, mimetype="application/pdf", as_attachment=True, download_name=f"recall-{campaign.number}-letters.pdf")


@bp.get("/<tenant>/recalls/<int:campaign_id>/notices/<int:notification_id>.eml")
def recall_notice_eml(campaign_id: int, notification_id: int):
    campaign = tenant_scoped(RecallCampaign, id=campaign_id)
    path = mail_folder() / f"{notification_id}.eml"
    if queries.campaign_notification(campaign, notification_id) is None or not path.is_file():
        abort(404)
    return send_file(path, mimetype="message/rfc822", as_attachment=True, download_name=f"notice-{notification_id}.eml")
