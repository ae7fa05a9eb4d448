"""CSV imports of units through the API: the file becomes a background import job, as in the console.

The answer comes at once (202) with the job's address; the job runs in a thread of the web process
(development) or in the worker, and reports progress, counts and, when done, the per-row error report.
"""
from __future__ import annotations

import io

from flask import after_this_request, current_app, g, request, send_file

from portal.accounts.tenancy import scoped
from portal.api.blueprint import PageArgs, bp, current_token, operation, page, paged
from portal.api.capture_schemas import IMPORT_BODY, ImportJobPageSchema, ImportJobSchema
from portal.api.models import Scope
from portal.api.problems import UnsupportedMediaType
from portal.catalog.import_jobs import ImportJob, ImportState, run_in_background, start_import
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.storage import open_stored
from portal.core.urls import external_url
from portal.extensions import db

CSV_TYPES = ("text/csv", "application/csv", "text/plain")


def describe(job: ImportJob) -> dict:
    return {"id": job.id, "state": job.state.value, "filename": job.filename, "rows_total": job.rows_total,
            "rows_done": job.rows_done, "percent": job.percent, "added": job.added, "unchanged": job.unchanged,
            "rejected": job.rejected, "error": job.error or None, "created_at": job.created_at,
            "started_at": job.started_at, "finished_at": job.finished_at,
            "href": external_url("api.get_import", job_id=job.id),
            "errors_href": external_url("api.get_import_errors", job_id=job.id)}


def load_job(job_id: int) -> ImportJob:
    """The tenant's job, or 404; a number past the id column's range cannot be one (and must not reach it)."""
    job = db.session.scalar(scoped(ImportJob).where(ImportJob.id == job_id)) if job_id < 2**31 else None
    if job is None:
        raise NotFound(f"You have no import job {job_id}.")
    return job


def _upload():
    """The CSV as a binary stream and its name, from a text/csv body or the multipart field `file`."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise Invalid("Send the CSV in the form field 'file'.", field="file")
        return upload.stream, upload.filename or "units.csv"
    if request.mimetype in CSV_TYPES:
        cached = getattr(request, "_cached_data", None)  # read already when an Idempotency-Key was hashed
        return (io.BytesIO(cached) if cached is not None else request.stream), "units.csv"
    raise UnsupportedMediaType("Send the CSV as 'Content-Type: text/csv', or as the form field 'file' of a "
                               "multipart/form-data body.", field="Content-Type")


@bp.route("/imports", methods=["POST"], tags=["Imports"])
@operation(Scope.UNITS_WRITE, body=True)
@bp.response(202, ImportJobSchema, headers={"Location": {"description": "The job's address",
                                                          "schema": {"type": "string"}}})
@bp.doc(requestBody=IMPORT_BODY)
def create_import():
    """Import units from a CSV file

    The columns of the console's CSV import. The file is checked for its header at once (a wrong one is
    refused with 422), then imported in the background: follow `href` (also the Location header) for
    the progress and the counts, and `errors_href` for the rejected rows once the job is done. Importing
    the same file again adds only what is missing.
    """
    stream, filename = _upload()
    job = start_import(g.tenant, stream, filename=filename, actor=current_token().actor_label)
    if current_app.config.get("IMPORT_JOBS_IN_PROCESS", True):
        app, job_id = current_app._get_current_object(), job.id

        @after_this_request
        def _start(response):  # after the commit, so the thread finds the job
            if response.status_code == 202:
                run_in_background(app, job_id)
            return response

    body = describe(job)
    return body, 202, {"Location": body["href"]}


@bp.route("/imports", methods=["GET"], tags=["Imports"])
@operation(Scope.UNITS_WRITE, errors=(422,))
@bp.arguments(PageArgs, location="query")
@bp.response(200, ImportJobPageSchema)
def list_imports(args: dict):
    """List import jobs

    Your import jobs, oldest first. Follow `next` for more.
    """
    jobs, next_link = page(scoped(ImportJob), ImportJob.id, args)
    return paged([describe(j) for j in jobs], next_link)


@bp.route("/imports/<int:job_id>", methods=["GET"], tags=["Imports"])
@operation(Scope.UNITS_WRITE)
@bp.response(200, ImportJobSchema)
def get_import(job_id: int):
    """Read an import job

    Its state (queued, running, done, failed), progress (`rows_done` of `rows_total`) and counts.
    """
    return describe(load_job(job_id))


@bp.route("/imports/<int:job_id>/errors", methods=["GET"], tags=["Imports"])
@operation(Scope.UNITS_WRITE, errors=(409,))
@bp.response(200, content_type="text/csv", description="CSV with the header line,reason")
def get_import_errors(job_id: int):
    """Read an import job's error report

    The rejected rows as CSV (`line,reason`; the header is line 1), once the job is done. Before that, or
    for a failed job, the answer is 409.
    """
    job = load_job(job_id)
    if job.state is not ImportState.DONE:
        raise Conflict(job.error or "The import has not finished yet; its report comes when it is done.")
    try:
        path = open_stored(job.error_report_key or "")
    except FileNotFoundError:
        raise NotFound("The error report of this import is no longer kept.") from None
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name=f"import-{job.id}-errors.csv")
