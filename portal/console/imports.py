"""Console pages for CSV imports of units (routes on the console blueprint): upload, progress, error report."""
from __future__ import annotations

from flask import abort, current_app, g, redirect, render_template, send_file, url_for
from flask_login import current_user

from portal.accounts.tenancy import console as bp
from portal.accounts.tenancy import staff_required, tenant_scoped
from portal.catalog.import_jobs import ImportJob, ImportState, rejected_rows, run_in_background, start_import
from portal.console import queries
from portal.console.forms import ImportForm
from portal.core.storage import open_stored
from portal.core.work import attempt, on_field

RECENT = 10


@bp.route("/<tenant>/import", methods=["GET", "POST"])
@staff_required()
def import_units():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not upload.filename:
            form.file.errors.append("Choose a CSV file.")
        else:
            started = attempt(lambda: start_import(g.tenant, upload.stream, filename=upload.filename,
                                                   actor=current_user), refused=on_field(form, form.file))
            if started:
                if current_app.config.get("IMPORT_JOBS_IN_PROCESS", True):
                    run_in_background(current_app._get_current_object(), started.value.id)
                return redirect(url_for(".import_job", job_id=started.value.id))
    return render_template("console/import.html", form=form,
                           jobs=queries.tenant_rows(ImportJob, ImportJob.id.desc(), limit=RECENT)), 400 if form.errors else 200


@bp.get("/<tenant>/imports/<int:job_id>")
@staff_required()
def import_job(job_id: int):
    job = tenant_scoped(ImportJob, id=job_id)
    return render_template("console/import_job.html", job=job, rejected=rejected_rows(job))


@bp.get("/<tenant>/imports/<int:job_id>/errors.csv")
@staff_required()
def import_job_errors(job_id: int):
    job = tenant_scoped(ImportJob, id=job_id)
    if job.state is not ImportState.DONE or not job.error_report_key:
        abort(404)
    try:
        path = open_stored(job.error_report_key)
    except FileNotFoundError:
        abort(404)
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name=f"import-{job.id}-errors.csv")
