"""Console pages for keys, label sheets, clone alerts and counterfeit reports (routes on the console blueprint)."""
from __future__ import annotations

import io

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import case
from wtforms.fields.choices import SelectChoice

from portal.accounts.forms import EmptyForm
from portal.accounts.tenancy import console as bp
from portal.accounts.tenancy import staff_required, tenant_scoped
from portal.authenticity import keys as key_service
from portal.authenticity.clones import decide_alert, scan_timeline
from portal.authenticity.forms import LabelSheetForm, RevokeForm
from portal.authenticity.labels import current_label, issue_label, label_uri
from portal.authenticity.models import AlertState, CloneAlert, CounterfeitReport, LabelRun, SigningKey
from portal.authenticity.sheets import (
    BACKGROUND_OVER,
    count_selection,
    render_in_background,
    start_run,
    write_sheet,
)
from portal.catalog.models import ProductModel, Unit
from portal.console import queries
from portal.core.errors import DomainError
from portal.core.storage import open_stored
from portal.core.work import attempt
from portal.documents.labels import LabelSpec, render_label_sheet
from portal.extensions import db


@bp.get("/<tenant>/keys")
@staff_required()
def keys():
    return render_template("console/keys.html", keys=queries.tenant_rows(SigningKey, SigningKey.id.desc()), form=EmptyForm(), revoke_form=RevokeForm())


@bp.post("/<tenant>/keys/rotate")
@staff_required()
def rotate_key():
    if EmptyForm().validate_on_submit():
        key = key_service.rotate_key(g.tenant, actor=current_user)
        db.session.commit()
        flash(f"Key {key.kid} now signs new labels. Labels signed by earlier keys still verify.", "success")
    return redirect(url_for(".keys"))


@bp.post("/<tenant>/keys/revoke")
@staff_required()
def revoke_key():
    form = RevokeForm()
    if form.validate_on_submit():
        revoked = attempt(lambda: key_service.revoke_key(g.tenant, form.kid.data, form.reason.data, actor=current_user))
        if not revoked:
            return render_template("console/keys.html", keys=queries.tenant_rows(SigningKey, SigningKey.id.desc()),
                                   form=EmptyForm(), revoke_form=form), revoked.refusal.status
        flash(f"Key {form.kid.data} is revoked: its labels now verify as Not genuine.", "warning")
    return redirect(url_for(".keys"))


def _sheet_form() -> LabelSheetForm:
    form = LabelSheetForm()
    form.model_id.choices = [SelectChoice(m.id, f"{m.name} ({m.gtin})")
                             for m in queries.tenant_rows(ProductModel, ProductModel.name)]
    return form


@bp.route("/<tenant>/labels", methods=["GET", "POST"])
@staff_required()
def labels():
    form = _sheet_form()
    runs = queries.tenant_rows(LabelRun, LabelRun.id.desc(), limit=10)
    if form.validate_on_submit():
        product = tenant_scoped(ProductModel, id=form.model_id.data)
        criteria = {"gtin": product.gtin, "lot": form.lot.data or "", "serial_from": form.serial_from.data or "",
                    "serial_to": form.serial_to.data or ""}
        try:
            total = count_selection(g.tenant, **criteria)
            if total > BACKGROUND_OVER:
                run = start_run(g.tenant, actor=current_user, **criteria)
                db.session.commit()
                if current_app.config.get("LABEL_RUNS_IN_PROCESS", True):
                    render_in_background(current_app._get_current_object(), run.id)
                return redirect(url_for(".label_run", run_id=run.id))
            pdf = io.BytesIO()
            write_sheet(g.tenant, pdf, actor=current_user, **{k: v or None for k, v in criteria.items()})
        except DomainError as err:
            db.session.rollback()
            form.lot.errors.append(str(err))
            return render_template("console/labels.html", form=form, runs=runs), err.status
        db.session.commit()
        pdf.seek(0)
        return send_file(pdf, mimetype="application/pdf", as_attachment=True,
                         download_name=f"labels-{product.gtin}.pdf")
    return render_template("console/labels.html", form=form, runs=runs), 400 if form.errors else 200


@bp.get("/<tenant>/labels/runs/<int:run_id>")
@staff_required()
def label_run(run_id: int):
    return render_template("console/label_run.html", run=tenant_scoped(LabelRun, id=run_id))


@bp.get("/<tenant>/labels/runs/<int:run_id>/pdf")
@staff_required()
def label_run_pdf(run_id: int):
    run = tenant_scoped(LabelRun, id=run_id)
    if run.state != "done" or not run.file_key:
        abort(404)
    return send_file(open_stored(run.file_key), mimetype="application/pdf", as_attachment=True,
                     download_name=f"labels-{run.gtin}-{run.id}.pdf")


@bp.post("/<tenant>/units/<int:unit_id>/labels")
@staff_required()
def issue_unit_label(unit_id: int):
    unit = tenant_scoped(Unit, id=unit_id)
    if EmptyForm().validate_on_submit():
        issued = attempt(lambda: issue_label(unit, actor=current_user, reason="replaced from the console"))
        if issued:
            flash(f"Label {issued.value.number} issued; earlier active labels are withdrawn. Download and attach "
                  "it.", "success")
    return redirect(url_for(".unit", unit_id=unit_id))


@bp.get("/<tenant>/units/<int:unit_id>/label.pdf")
def unit_label_pdf(unit_id: int):
    unit = tenant_scoped(Unit, id=unit_id)
    label = current_label(unit)
    if label is None:
        abort(404)
    pdf = io.BytesIO()
    render_label_sheet([LabelSpec(uri=label_uri(unit.model.gtin, unit.serial, label), product_name=unit.model.name,
                                  gtin=unit.model.gtin, serial=unit.serial, label_number=label.number)], pdf)
    pdf.seek(0)
    return send_file(pdf, mimetype="application/pdf", as_attachment=True,
                     download_name=f"label-{unit.serial}-{label.number}.pdf")


@bp.get("/<tenant>/alerts")
def alerts():
    order = case((CloneAlert.state == AlertState.OPEN, 0), else_=1)
    return render_template("console/alerts.html",
                           alerts=queries.tenant_rows(CloneAlert, order, CloneAlert.created_at.desc(), limit=200))


@bp.get("/<tenant>/alerts/<int:alert_id>")
def alert(alert_id: int):
    item = tenant_scoped(CloneAlert, id=alert_id)
    return render_template("console/alert.html", alert=item, scans=scan_timeline(item.unit_id),
                           labels=queries.labels_of(item.unit_id), form=EmptyForm())


@bp.post("/<tenant>/alerts/<int:alert_id>/decision")
@staff_required()
def decide(alert_id: int):
    item = tenant_scoped(CloneAlert, id=alert_id)
    if EmptyForm().validate_on_submit():
        confirm = request.form.get("decision") == "confirm"
        if attempt(lambda: decide_alert(item, confirm=confirm, actor=current_user)):
            flash("Clones confirmed: the copied code now verifies as Not genuine. Issue a fresh label for the "
                  "genuine unit." if confirm else "Alert dismissed.", "warning" if confirm else "info")
    return redirect(url_for(".alert", alert_id=alert_id))


@bp.get("/<tenant>/reports")
def reports():
    return render_template("console/reports.html", reports=queries.tenant_rows(
        CounterfeitReport, CounterfeitReport.created_at.desc(), limit=200))


@bp.get("/<tenant>/reports/<int:report_id>/photo")
def report_photo(report_id: int):
    item = tenant_scoped(CounterfeitReport, id=report_id)
    if not item.photo_key:
        abort(404)
    return send_file(open_stored(item.photo_key))
