"""Console pages of the regulator reports: the campaign's legal deadlines, each report pre-filled and editable,
and its exports (PDF, CSV, JSON). One rule per report and format, sharing one endpoint each (the report's
slug is a rule default, so every URL stays a plain path)."""
from __future__ import annotations

import json
from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.accounts.tenancy import console as bp
from portal.accounts.tenancy import staff_required, tenant_scoped
from portal.core.exports import csv_text
from portal.core.work import attempt
from portal.recalls import regulator
from portal.recalls.deadlines import deadlines
from portal.recalls.models import CampaignState, RecallCampaign
from portal.recalls.regulator.pdf import render_report_pdf


def _campaign(campaign_id: int) -> RecallCampaign:
    campaign = tenant_scoped(RecallCampaign, id=campaign_id)
    if campaign.state is CampaignState.DRAFT:
        abort(404)
    return campaign


@bp.get("/<tenant>/recalls/<int:campaign_id>/reports")
def recall_reports(campaign_id: int):
    campaign = _campaign(campaign_id)
    return render_template("recalls/console_reports.html", campaign=campaign, deadlines=deadlines(campaign),
                           reports=[regulator.build(campaign, slug) for slug in regulator.SLUGS])


@staff_required(Role.RECALL_MANAGER)
def recall_report(campaign_id: int, report: str):
    campaign = _campaign(campaign_id)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        filed = request.form.get("filed_on", "").strip()
        try:
            filed_on = date.fromisoformat(filed) if filed else None
        except ValueError:
            flash(_("The filing date is a date such as 2026-03-31."), "error")
            return redirect(url_for(".recall_report", campaign_id=campaign_id, report=report))
        values = {k[2:]: v for k, v in request.form.items() if k.startswith("f_")}
        if not attempt(lambda: regulator.save_edits(campaign, report, values, filed_on=filed_on, actor=current_user)):
            return redirect(url_for(".recall_report", campaign_id=campaign_id, report=report))
        flash(_("Report saved."), "success")
        return redirect(url_for(".recall_report", campaign_id=campaign_id, report=report))
    return render_template("recalls/console_report.html", campaign=campaign, report=regulator.build(campaign, report),
                           form=form)


def recall_report_export(campaign_id: int, report: str, fmt: str):
    built = regulator.build(_campaign(campaign_id), report)
    name = f"recall-{campaign_id}-{report}"
    if fmt == "pdf":
        return Response(render_report_pdf(built), mimetype="application/pdf",
                        headers={"Content-Disposition": f"attachment; filename={name}.pdf"})
    if fmt == "csv":
        return Response(csv_text(built.csv_rows()), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    return Response(json.dumps(built.as_dict(), ensure_ascii=False, indent=2, default=str), mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename={name}.json"})


for _slug in regulator.SLUGS:
    bp.add_url_rule(f"/<tenant>/recalls/<int:campaign_id>/reports/{_slug}", endpoint="recall_report",
                    view_func=recall_report, methods=["GET", "POST"], defaults={"report": _slug})
    for _fmt in ("pdf", "csv", "json"):
        bp.add_url_rule(f"/<tenant>/recalls/<int:campaign_id>/reports/{_slug}.{_fmt}", endpoint="recall_report_export",
                        view_func=recall_report_export, defaults={"report": _slug, "fmt": _fmt})
