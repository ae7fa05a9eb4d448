"""Proof pages: the owner makes, shows, revokes a proof and offers the transfer from it; anyone opens the
proof's link (its live status, as a page, JSON or a verifiable credential); the signed-in buyer confirms receipt."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.accounts.forms import EmptyForm
from portal.core import drafts
from portal.core.db import utcnow
from portal.core.urls import external_url, portal_did
from portal.core.work import attempt, on_field, shown_by_page
from portal.documents.qr import qr_png, qr_svg
from portal.extensions import db, limiter
from portal.ownership.models import Ownership
from portal.ownership.queries import open_offer_of
from portal.resale import queries, services, vc
from portal.resale.forms import ProofForm, ReceiptForm
from portal.resale.models import OwnershipProof
from portal.resale.public_json import status_document

bp = Blueprint("resale", __name__)


def _user_key() -> str:
    """Proof-making is limited per account (the limiter's storage is shared by every process)."""
    return f"resale-proof:{current_user.get_id()}"


def _proof_rate() -> str:
    # Read per request, so an operator's setting (and a test's) takes effect without a restart.
    return current_app.config.get("RESALE_PROOF_RATE", "10 per hour")


def _my_ownership(ownership_id: int) -> Ownership:
    ownership = db.session.get(Ownership, ownership_id)
    if ownership is None or ownership.owner_id != current_user.id or ownership.until is not None:
        abort(404)
    return ownership


def _my_proof(proof_id: int) -> OwnershipProof:
    proof = db.session.get(OwnershipProof, proof_id)
    if proof is None or proof.ownership.owner_id != current_user.id or proof.ownership.until is not None:
        abort(404)
    return proof


def _public_proof(token: str) -> OwnershipProof:
    proof = queries.find_proof(token)
    if proof is None:
        abort(404)
    return proof


def proof_link(token: str) -> str:
    return external_url("resale.public_proof", token=token)


@bp.post("/my/units/<int:ownership_id>/proofs")
@login_required
@limiter.limit(_proof_rate, key_func=_user_key)
def create(ownership_id: int):
    ownership = _my_ownership(ownership_id)
    form = ProofForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
        return redirect(url_for("ownership.unit", ownership_id=ownership_id, _anchor="resale-h")), 303
    outcome = attempt(lambda: services.create_proof(current_user, ownership, days=form.days.data,
                                                    serial_shown=form.serial_shown.data,
                                                    include_service=form.include_service.data))
    if not outcome:
        return redirect(url_for("ownership.unit", ownership_id=ownership_id, _anchor="resale-h")), 303
    proof, _token = outcome.value
    flash(_("Your proof is ready. Put its link or QR code in your listing."), "success")
    return redirect(url_for(".mine", proof_id=proof.id)), 303


@bp.get("/my/proofs/<int:proof_id>")
@login_required
def mine(proof_id: int):
    proof = _my_proof(proof_id)
    link = proof_link(queries.token_of(proof))
    return render_template("resale/mine.html", proof=proof, status=queries.status_of(proof), link=link,
                           qr=qr_svg(link), form=EmptyForm())


@bp.get("/my/proofs/<int:proof_id>/qr.png")
@login_required
def qr_download(proof_id: int):
    proof = _my_proof(proof_id)
    token = queries.token_of(proof)
    response = Response(qr_png(proof_link(token)), mimetype="image/png")
    response.headers["Content-Disposition"] = 'attachment; filename="ownership-proof.png"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/my/proofs/<int:proof_id>/revoke")
@login_required
def revoke(proof_id: int):
    proof = _my_proof(proof_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if attempt(lambda: services.revoke_proof(current_user, proof)):
        flash(_("The proof is revoked. Anyone who opens its link is told so."), "info")
    return redirect(url_for(".mine", proof_id=proof_id)), 303


#: The transfer code offered from a proof in this browser, kept in its session for the page that shows it.
OFFERED_CODE = "resale_offered_code"


# One rule for both methods: an id past the 32-bit keys then answers 404 for GET too, not 405 (core.routing).
@bp.route("/my/proofs/<int:proof_id>/offer", methods=["GET", "POST"])
@login_required
def offer(proof_id: int):
    """POST offers the transfer and redirects here (post-redirect-get); GET shows the open code offered in this
    browser, so Back and reload show it again and never make another (which would void the one given)."""
    proof = _my_proof(proof_id)
    if request.method == "GET":
        return _offered_page(proof)
    if not EmptyForm().validate_on_submit():
        abort(400)
    outcome = attempt(lambda: services.offer_transfer(current_user, proof))
    if not outcome:
        return redirect(url_for(".mine", proof_id=proof_id)), 303
    offered, code = outcome.value
    session[OFFERED_CODE] = {"p": proof.id, "f": offered.id, "c": code}  # the database keeps only its hash
    return redirect(url_for(".offer", proof_id=proof.id)), 303


def _offered_page(proof: OwnershipProof):
    kept = session.get(OFFERED_CODE)
    if (not isinstance(kept, dict) or kept.get("p") != proof.id or proof.transfer_offer_id != kept.get("f")
            or (offered := open_offer_of(proof.ownership)) is None or offered.id != kept.get("f")):
        return redirect(url_for(".mine", proof_id=proof.id))
    receive_link = external_url("resale.public_proof", token=queries.token_of(proof), code=kept["c"])
    return render_template("resale/offered.html", proof=proof, code=kept["c"], offer=offered, link=receive_link,
                           qr=qr_svg(receive_link))


@bp.get("/proof/<token>")
def public_proof(token: str):
    proof = _public_proof(token)
    status = queries.status_of(proof)
    draft = None
    if current_user.is_authenticated and request.args.get("code"):
        drafts.drop(RECEIPT_DRAFT)  # the seller's link with its code replaces what was typed
    elif current_user.is_authenticated:
        draft = drafts.take(RECEIPT_DRAFT, current_user.id, scope=proof.id)
    if draft is not None:  # the signed-in buyer's refused receipt: the code as typed, its refusal once
        form = ReceiptForm(formdata=draft.values)
        drafts.show_errors(form, draft)
    else:
        form = ReceiptForm(formdata=None, data={"code": request.args.get("code", "")[:40]})
    response = Response(render_template("resale/proof.html", s=status, token=token, form=form, now=utcnow(),
                                        kept=draft is not None), status=draft.status if draft else 200)
    return _public(response)


#: A buyer's refused receipt, for the one proof it was typed on (core/drafts.py: post-redirect-get).
RECEIPT_DRAFT = "receipt"


@bp.post("/proof/<token>/receive")
@login_required
@limiter.limit("20 per hour", key_func=_user_key)
def receive(token: str):
    """A refused code answers 303 to the proof's page (post-redirect-get, core/drafts.py), which shows it once
    with the code as typed: Back and reload never send the code again."""
    proof = _public_proof(token)
    form = ReceiptForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: services.confirm_receipt(current_user, proof, form.code.data),
                          refused=on_field(form, form.code))
        if outcome:
            drafts.drop(RECEIPT_DRAFT)
            flash(_("%(product)s is now registered to you.", product=proof.unit.model.name), "success")
            return redirect(url_for("ownership.unit", ownership_id=outcome.value.id)), 303
        status_code = outcome.refusal.status
    else:
        status_code = 400
    if drafts.keep(RECEIPT_DRAFT, current_user.id, form, scope=proof.id, status=status_code):
        return redirect(url_for(".public_proof", token=token, _anchor="receive")), 303
    status = queries.status_of(proof)  # too big for the cookie: answered from the POST
    return render_template("resale/proof.html", s=status, token=token, form=form, now=utcnow()), status_code


@bp.get("/proof/<token>/status")
def status_json(token: str):
    proof = _public_proof(token)
    return _public(jsonify(status_document(queries.status_of(proof), proof_link(token))))


@bp.get("/proof/<token>/credential")
def credential(token: str):
    proof = _public_proof(token)
    status = queries.status_of(proof)
    outcome = attempt(lambda: vc.secured(status, proof_url=proof_link(token),
                                         status_url=external_url("resale.status_json", token=token),
                                         issuer=portal_did(), now=utcnow()), refused=shown_by_page)
    if not outcome:
        return _public(jsonify({"error": str(outcome.refusal), "state": status.state.value})), 410
    return _public(Response(outcome.value, mimetype=vc.MEDIA_TYPE))


def _public(response: Response) -> Response:
    """A proof's answers are live: never cached, never indexed, and the link leaks to no other site."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
