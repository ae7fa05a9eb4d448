"""The routes of the EPCIS 2.0 REST binding (GS1's OpenAPI): capture, capture jobs, events, and the
events of one EPC. Each parses, calls one service or query of portal.catalog.epcis, and renders."""
from __future__ import annotations

from flask import Blueprint, after_this_request, current_app, g, request, url_for
from werkzeug.exceptions import HTTPException

from portal.api.models import Scope
from portal.catalog.epcis import jobs
from portal.catalog.epcis.document import NotEpcis
from portal.catalog.epcis.queries import find_events, parse_query, query_document
from portal.catalog.epcis.vocabulary import EpcisSyntaxError, epc_pattern
from portal.core.db import utcnow
from portal.core.errors import DomainError
from portal.epcis.binding import (
    BindingError,
    authorise,
    check_media_type,
    check_versions,
    gs1_headers,
    json_response,
    problem_response,
)
from portal.extensions import db

bp = Blueprint("epcis", __name__, url_prefix="/epcis")


@bp.before_request
def _api_request():
    """Tokens only: a browser's session cookie never authorises a call here."""
    g._login_user = current_app.login_manager.anonymous_user()
    request.max_content_length = current_app.config["API_MAX_EPCIS_BYTES"]


@bp.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(DomainError)
def _domain_error(err: DomainError):
    db.session.rollback()
    return problem_response(err)


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException):
    db.session.rollback()
    detail = {413: "The document is larger than this repository takes in one capture (see "
                   "GS1-EPCIS-Capture-File-Size-Limit); split it.",
              405: "This method is not served on this resource."}.get(err.code, err.description or "")
    response = problem_response(BindingError(detail, err.code or 500))
    if err.code == 429 and err.get_headers():
        for name, value in err.get_headers():
            if name.lower() == "retry-after":
                response.headers[name] = value
    return response


@bp.route("/capture", methods=["OPTIONS"], provide_automatic_options=False)
def capture_options():
    response = current_app.response_class(status=204)
    response.headers["Allow"] = "OPTIONS, POST, GET"
    return gs1_headers(response, capture=True)


@bp.post("/capture")
def capture():
    """Store the document, open its job and answer 202 at once; the capture runs in the background."""
    tenant, actor = authorise(Scope.EVENTS_WRITE)
    check_versions()
    behaviour = request.headers.get("GS1-Capture-Error-Behaviour", "rollback").strip().lower() or "rollback"
    jobs.check_behaviour(behaviour)
    check_media_type()
    try:
        job = jobs.receive(tenant, request.stream, behaviour=behaviour, actor=actor,
                           limit=current_app.config["EPCIS_CAPTURE_LIMIT"],
                           max_bytes=current_app.config["API_MAX_EPCIS_BYTES"])
    except NotEpcis as err:
        raise BindingError(str(err), 413 if err.status == 413 else 400, field=err.field) from None
    db.session.commit()
    if current_app.config.get("EPCIS_JOBS_IN_PROCESS", True):
        app, job_id = current_app._get_current_object(), job.id

        @after_this_request
        def _start(response):  # after the commit, so the thread finds the job
            if response.status_code == 202:
                jobs.run_in_background(app, job_id)
            return response

    response = current_app.response_class(status=202)
    response.headers["Location"] = url_for(".capture_job", capture_id=job.capture_id)
    return gs1_headers(response, capture=True)


@bp.get("/capture")
def capture_jobs():
    tenant, _ = authorise(Scope.EVENTS_WRITE)
    per_page = request.args.get("perPage", "30")
    if not per_page.isdigit() or not 1 <= int(per_page) <= 200:
        raise BindingError("perPage is a whole number from 1 to 200.", 400, field="perPage")
    token = request.args.get("nextPageToken")
    if token is not None and (not token.isdigit() or len(token) > 18):
        raise BindingError("nextPageToken is not one this repository gave out.", 400, field="nextPageToken")
    views, last = jobs.recent_jobs(tenant, limit=int(per_page), before=int(token) if token else None)
    response = json_response([v.as_document() for v in views])
    if last is not None:
        response.headers["Link"] = f'<{_absolute(".capture_jobs", perPage=per_page, nextPageToken=last)}>; rel="next"'
    return response


@bp.get("/capture/<capture_id>")
def capture_job(capture_id: str):
    tenant, _ = authorise(Scope.EVENTS_WRITE)
    return json_response(jobs.find_job(tenant, capture_id).as_document())


@bp.get("/events")
def events():
    tenant, _ = authorise(Scope.EVENTS_READ)
    check_versions()
    return _answer(tenant, ".events", {})


@bp.get("/epcs/<path:epc>/events", merge_slashes=False)
def epc_events(epc: str):
    """One identifier's events, the EPC in URN or GS1 Digital Link form (URL-encoded)."""
    tenant, _ = authorise(Scope.EVENTS_READ)
    check_versions()
    text = epc.strip()
    for scheme in ("https:/", "http:/"):  # a proxy may have merged the two slashes of the scheme
        if text.startswith(scheme) and not text.startswith(scheme + "/"):
            text = scheme + "/" + text[len(scheme):]
    try:
        pattern = epc_pattern(text)
    except EpcisSyntaxError as err:
        raise BindingError(str(err), 400, field="epc") from None
    return _answer(tenant, ".epc_events", {"epc": epc}, epc=pattern)


def _answer(tenant, endpoint: str, view_args: dict, *, epc=None):
    query = parse_query(request.args.to_dict())
    page = find_events(tenant, query, epc=epc)
    wants_ld = request.accept_mimetypes.best_match(["application/json", "application/ld+json"]) == "application/ld+json"
    response = json_response(query_document(page, created=utcnow()), ld=wants_ld)
    if page.next_token:
        args = {k: v for k, v in request.args.items() if k != "nextPageToken"}
        args["nextPageToken"] = page.next_token
        response.headers["Link"] = f'<{_absolute(endpoint, **view_args, **args)}>; rel="next"'
    return response


def _absolute(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)
