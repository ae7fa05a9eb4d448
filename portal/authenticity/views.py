"""Public authenticity pages: the verdict behind every code, the published keys, reports, the scanner."""
from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from portal.authenticity import services
from portal.authenticity.clones import client_fingerprint
from portal.authenticity.forms import ReportForm
from portal.authenticity.js_text import js_text
from portal.authenticity.keys import jwks
from portal.authenticity.taps import record_tap_scan, verify_tap
from portal.authenticity.verify import WARNINGS, MalformedCode
from portal.config import ROOT
from portal.core.negotiation import best_offer
from portal.core.reply import raw_uri
from portal.core.work import attempt, on_field, shown_by_page
from portal.extensions import csrf, db, limiter

bp = Blueprint("authenticity", __name__)
bp.add_app_template_global(js_text)


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


def asks_for_json(format_param: str | None, accept: str | None) -> bool:
    """JSON for `?format=json` (its first value) or when the client prefers JSON to HTML. The fast path
    (authenticity/fastpath.py) decides with this too, before any request object exists."""
    if format_param == "json":
        return True
    return best_offer(accept, ("text/html", "application/json")) == "application/json"


def wants_json() -> bool:
    return asks_for_json(request.args.get("format"), request.headers.get("Accept"))


#: A verdict's JSON may be read by a scanner app's page on another origin (docs/resolver.md).
JSON_CORS = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", "Link, Location, Content-Type"))


def _problem(status: int, title: str, detail: str):
    if wants_json():
        response = jsonify(services.ScanAnswer(status, title=title, detail=detail).as_json())
        response.status_code = status
        response.mimetype = "application/problem+json"
        response.headers.extend(JSON_CORS)
        return response
    return render_template("authenticity/malformed.html", title=title, detail=detail), status


def _scan_token(scan_id: int) -> str:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="scan-place").dumps(scan_id)


@bp.get("/verdict/01/<path:rest>")
@limiter.limit(_public_limit)
def verdict(rest: str):
    """The page (or JSON) a product's code leads to: the resolver's verification link for a serial (resolver/)."""
    raw = raw_uri(request.environ)
    answer = services.answer_code(raw, client_address=request.remote_addr or "",
                                  user_agent=request.user_agent.string, viewer=current_user)
    if answer.verdict is None:
        return _problem(answer.status, answer.title, answer.detail)
    db.session.commit()  # before rendering, which reads plain facts: the scan's write lock is held briefly
    return _verdict_response(answer.verdict, answer.scan, answer.link)


def _verdict_response(verdict, scan, link):
    if wants_json():
        response = jsonify(verdict.as_json())
        response.status_code = verdict.status
        response.headers.extend(JSON_CORS)
    else:
        response = make_response(render_template("authenticity/verdict.html", v=verdict, link=link,
                                                 warnings_text=WARNINGS, scan_token=_scan_token(scan.id)),
                                 verdict.status)
    response.headers["Cache-Control"] = "no-store"
    return response


# A serial may hold '/' (GS1 allows it; the tag's URL carries it as %2F, which arrives decoded): the path
# converter keeps it, and no slash is merged or redirected away, so '/0' is not quietly read as '0'.
@bp.get("/nfc/<gtin>/<path:serial>", merge_slashes=False)
@limiter.limit(_public_limit)
def nfc_tap(gtin: str, serial: str):
    """Where an NTAG 424 DNA tag sends the phone: a fresh, one-time cryptographic answer on every tap."""
    try:
        verdict, counter = verify_tap(gtin, serial, request.query_string.decode("latin-1"))
    except MalformedCode as err:
        return _problem(400, _("This is not a valid tag message"), str(err))
    scan = record_tap_scan(verdict, counter, client_fingerprint(request.remote_addr or "",
                                                                request.user_agent.string))
    response = _verdict_response(verdict, scan, None)
    db.session.commit()
    return response


@bp.post("/scans/place")
@csrf.exempt  # the signed scan token is the credential; nothing else can be changed here
@limiter.limit(_public_limit)
def scan_place():
    """The person scanning agreed to share a coarse location for this scan (helps spot copied codes)."""
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}  # a JSON list or number is as malformed as no JSON
    try:
        scan_id = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="scan-place").loads(str(data.get("token")))
        lat, lon = float(data["lat"]), float(data["lon"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return jsonify({"ok": False, "error": "token, lat and lon are required"}), 400
    scan = services.scan_awaiting_place(scan_id)
    if scan is None:
        return jsonify({"ok": False, "error": "unknown scan, or its place is already known"}), 409
    placed = attempt(lambda: services.place_scan(scan, lat, lon), refused=shown_by_page)
    if not placed:
        return jsonify({"ok": False, "error": str(placed.refusal)}), 400
    return jsonify({"ok": True})


@bp.get("/.well-known/jwks.json")
def jwks_json():
    response = jsonify(jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.add_etag()
    return response.make_conditional(request)


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def report():
    form = ReportForm(data={k: request.args.get(k, "") for k in ("gtin", "serial", "code")}
                      if request.method == "GET" else None)
    if form.validate_on_submit():
        photo = form.photo.data
        reported = attempt(lambda: services.report_counterfeit(
            gtin=form.gtin.data or "", serial=form.serial.data or "", code=form.code.data or "",
            message=form.message.data or "", where_seen=form.where_seen.data or "", contact=form.contact.data or "",
            photo=(photo.read(), photo.filename) if photo and photo.filename else None),
            refused=on_field(form, form.message))
        if not reported:
            return render_template("authenticity/report.html", form=form), reported.refusal.status
        return redirect(url_for(".report", sent=1))  # post-redirect-get: Back never sends the report again
    if request.method == "GET" and request.args.get("sent") == "1":
        return render_template("authenticity/report_sent.html")
    return render_template("authenticity/report.html", form=form), 400 if form.errors else 200


@bp.get("/scan")
def scan_page():
    return render_template("authenticity/scan.html")


@bp.get("/sw.js")
def service_worker():
    """Served from the root so it may control /01/... pages: offline verdicts from cached keys."""
    response = send_from_directory(ROOT / "static" / "js", "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/verify-offline")
def offline_verifier():
    return render_template("authenticity/offline.html")
