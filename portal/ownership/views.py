"""Owner pages: My products, registering a unit, transfers, stolen reports, disputes."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.accounts.forms import EmptyForm
from portal.catalog.services import find_unit
from portal.core import drafts, staging
from portal.core.errors import AlreadyOwned, DomainError
from portal.core.staging import StagedUpload
from portal.core.storage import send_private
from portal.core.work import attempt, on_field
from portal.extensions import db, limiter
from portal.ownership import queries, services
from portal.ownership.forms import AcceptTransferForm, DisputeForm, RegisterForm, StolenForm
from portal.ownership.models import Ownership

bp = Blueprint("ownership", __name__)


def _my_ownership(ownership_id: int) -> Ownership:
    ownership = db.session.get(Ownership, ownership_id)
    if ownership is None or ownership.owner_id != current_user.id or ownership.until is not None:
        abort(404)
    return ownership


@bp.get("/my")
@login_required
def my_products():
    ownerships = services.owned_units(current_user)
    return render_template("ownership/my_products.html", ownerships=ownerships, form=EmptyForm())


#: The registration form's draft after a refused submit (core/drafts.py: post-redirect-get).
REGISTER_DRAFT = "register"


@bp.route("/my/register", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per hour", methods=["POST"])
def register():
    """Every submit answers 303 to the GET (core/drafts.py): a refusal, a removed receipt and a form that
    fails its checks come back as a page that Back and reload show again and never send again."""
    if not current_user.is_verified:  # said before the form is filled in, not after
        return render_template("ownership/register.html", form=RegisterForm(), unverified=True), (
            403 if request.method == "POST" else 200)
    if request.method == "GET":
        return _register_page()
    form = RegisterForm()
    proof, proof_token, refused = _staged_proof(form)
    if refused is not None or "remove_proof" in request.form or not form.validate_on_submit():
        return _register_again(form, proof_token if proof is not None else "",
                               status=refused or (400 if form.errors else 200))
    try:
        unit = find_unit(form.gtin.data, form.serial.data)
        ownership = services.register_unit(current_user, unit, purchased_on=form.purchased_on.data,
                                           retailer=form.retailer.data,
                                           proof=proof.as_stored() if proof is not None else None,
                                           country=(form.country.data or "")[:8])
    except DomainError as err:
        db.session.rollback()  # the staged receipt was committed on receipt: it stays for the next try
        field = getattr(form, err.field, None) if err.field else None
        if field is not None:
            field.errors.append(str(err))
        offer_dispute = isinstance(err, AlreadyOwned) and "to you" not in str(err)
        return _register_again(form, proof_token if proof is not None else "", status=err.status,
                               message=None if field else str(err), offer_dispute=offer_dispute)
    if proof is not None:
        staging.claim(proof)
    db.session.commit()
    drafts.drop(REGISTER_DRAFT)
    flash(_("%(product)s is registered to you.", product=unit.model.name), "success")
    return redirect(url_for(".unit", ownership_id=ownership.id))


def _register_page():
    """The form: a till's invitation (POST /api/v1/sales) links here with the purchase filled in, and it
    replaces any draft; else what the last refused submit left (shown once for its refusal), else empty."""
    if request.args.get("gtin") or request.args.get("serial"):
        drafts.drop(REGISTER_DRAFT)
        form = RegisterForm(formdata=None, data={
            "gtin": request.args.get("gtin", ""), "serial": request.args.get("serial", ""),
            "purchased_on": request.args.get("purchased_on", type=date.fromisoformat),
            "retailer": request.args.get("retailer", "")[:160]})
        return render_template("ownership/register.html", form=form)
    draft = drafts.take(REGISTER_DRAFT, current_user.id)
    if draft is None:
        return render_template("ownership/register.html", form=RegisterForm(formdata=None))
    form = RegisterForm(formdata=draft.values)
    drafts.show_errors(form, draft)
    token = draft.tokens[0] if draft.tokens else ""
    proof = staging.staged(current_user.id, token, purpose="proof")  # the account's own, while it lives
    return render_template("ownership/register.html", form=form, proof=proof, proof_token=token if proof else "",
                           error=draft.message, offer_dispute=draft.extra.get("offer_dispute", False)), draft.status


def _staged_proof(form: RegisterForm) -> tuple[StagedUpload | None, str, int | None]:
    """The receipt for this submit: a new file is checked and staged at once (and committed, so a refusal
    below keeps it); else the one staged by an earlier try, unless the person removed it. Returns the staged
    row, its token for the form, and a status when the file itself was refused (its error is on the field)."""
    token = request.form.get("proof_token", "")
    earlier = staging.staged(current_user.id, token, purpose="proof")
    if "remove_proof" in request.form:
        if earlier is not None:
            staging.discard(earlier)
            db.session.commit()
        return None, "", None
    upload = form.proof.data
    if not (upload and getattr(upload, "filename", "")):
        return earlier, token if earlier is not None else "", None
    try:
        row, new_token = staging.stage(current_user.id, upload.read(), upload.filename, purpose="proof")
    except DomainError as err:
        db.session.rollback()
        form.proof.errors = [str(err)]  # checked before the other fields are: its error stands alone
        return earlier, token if earlier is not None else "", err.status
    if earlier is not None:
        staging.discard(earlier)  # replaced by the new file
    db.session.commit()
    return row, new_token, None


def _register_again(form: RegisterForm, proof_token: str, *, status: int, message: str | None = None,
                    offer_dispute: bool = False):
    """Post-redirect-get: the submit as typed, its receipt and its refusal wait in the session for the GET
    (else, when they would not fit its cookie, the form answers from the POST)."""
    if drafts.keep(REGISTER_DRAFT, current_user.id, form, tokens=[proof_token] if proof_token else [],
                   message=message, status=status, **({"offer_dispute": True} if offer_dispute else {})):
        return redirect(url_for(".register"), 303)
    proof = staging.staged(current_user.id, proof_token, purpose="proof")
    return render_template("ownership/register.html", form=form, proof=proof, proof_token=proof_token if proof else "",
                           error=message, offer_dispute=offer_dispute), status


@bp.get("/my/units/<int:ownership_id>")
@login_required
def unit(ownership_id: int):
    ownership = _my_ownership(ownership_id)
    return render_template("ownership/unit.html", ownership=ownership, unit=ownership.unit,
                           open_offer=queries.open_offer_of(ownership),
                           form=EmptyForm(), stolen_form=StolenForm())


@bp.get("/my/units/<int:ownership_id>/proof")
@login_required
def proof(ownership_id: int):
    ownership = _my_ownership(ownership_id)
    return _send_proof(ownership)


def _send_proof(ownership: Ownership):
    return send_private(ownership.proof_key, ownership.proof_mime, ownership.proof_name)


#: The code of a transfer started in this browser, kept in its session for the page that shows it.
TRANSFER_CODE = "transfer_code"


# One rule for both methods: an id past the 32-bit keys then answers 404 for GET too, not 405 (core.routing).
@bp.route("/my/units/<int:ownership_id>/transfer", methods=["GET", "POST"])
@login_required
def start_transfer(ownership_id: int):
    """POST starts a transfer and redirects here (post-redirect-get); GET shows the open code started in this
    browser, so Back and reload show it again and never start another."""
    ownership = _my_ownership(ownership_id)
    if request.method == "GET":
        return _transfer_code_page(ownership)
    if not EmptyForm().validate_on_submit():
        abort(400)
    started = attempt(lambda: services.start_transfer(current_user, ownership))
    if not started:
        return redirect(url_for(".unit", ownership_id=ownership_id))
    offer, code = started.value
    session[TRANSFER_CODE] = {"o": ownership.id, "f": offer.id, "c": code}  # the database keeps only its hash
    return redirect(url_for(".start_transfer", ownership_id=ownership.id))


def _transfer_code_page(ownership: Ownership):
    kept = session.get(TRANSFER_CODE)
    offer = queries.open_offer_of(ownership)
    if not isinstance(kept, dict) or kept.get("o") != ownership.id or offer is None or offer.id != kept.get("f"):
        return redirect(url_for(".unit", ownership_id=ownership.id))
    link = url_for(".accept_transfer", code=kept["c"], _external=True)
    return render_template("ownership/transfer_code.html", ownership=ownership, code=kept["c"], link=link,
                           offer=offer)


@bp.post("/my/units/<int:ownership_id>/transfer/cancel")
@login_required
def cancel_transfer(ownership_id: int):
    ownership = _my_ownership(ownership_id)
    if EmptyForm().validate_on_submit():
        cancelled = services.cancel_transfer(current_user, ownership)
        db.session.commit()
        if cancelled:
            flash(_("The transfer code no longer works."), "info")
        else:  # the buyer redeemed it a moment ago: never say "cancelled" then
            flash(_("There was no open transfer code to cancel: it may have been used a moment ago."), "info")
    return redirect(url_for(".unit", ownership_id=ownership_id))


#: A refused acceptance's draft (core/drafts.py): the code as typed waits for the GET, never in the address.
ACCEPT_DRAFT = "accept_transfer"


@bp.route("/transfer", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per hour", methods=["POST"])
def accept_transfer():
    """A refused submit answers 303 to the GET (post-redirect-get, core/drafts.py): the code as typed and the
    refusal wait in the session, so Back and reload show them and never send the code again."""
    if request.method == "GET":
        return _accept_page()
    form = AcceptTransferForm()
    if not form.validate_on_submit():
        return _accept_again(form, 400)
    accepted = attempt(lambda: services.accept_transfer(current_user, form.code.data,
                                                        purchased_on=form.purchased_on.data),
                       refused=lambda err: form.code.errors.append(str(err)))
    if not accepted:
        return _accept_again(form, accepted.refusal.status)
    drafts.drop(ACCEPT_DRAFT)
    ownership = accepted.value
    flash(_("%(product)s is now registered to you.", product=ownership.unit.model.name), "success")
    return redirect(url_for(".unit", ownership_id=ownership.id))


def _accept_page():
    """A seller's link (?code=) fills the form and replaces any draft; else what the last refused submit left
    (its refusal shown once), else an empty form."""
    if request.args.get("code"):
        drafts.drop(ACCEPT_DRAFT)
        form = AcceptTransferForm(formdata=None, data={"code": request.args.get("code", "")})
        try:
            return render_template("ownership/accept_transfer.html", form=form,
                                   offer=services.find_offer(form.code.data))
        except DomainError as err:  # a GET's form was never validated: its errors are not a list yet
            form.code.errors = [str(err)]
            return render_template("ownership/accept_transfer.html", form=form), err.status
    form, status = drafts.form_again(ACCEPT_DRAFT, current_user.id, AcceptTransferForm)
    return render_template("ownership/accept_transfer.html", form=form), status


def _accept_again(form: AcceptTransferForm, status: int):
    return drafts.again(ACCEPT_DRAFT, current_user.id, form, "ownership/accept_transfer.html",
                        url_for(".accept_transfer"), status=status)


@bp.post("/my/units/<int:ownership_id>/stolen")
@login_required
def report_stolen(ownership_id: int):
    ownership = _my_ownership(ownership_id)
    form = StolenForm()
    if form.validate_on_submit():
        if not attempt(lambda: services.report_stolen(current_user, ownership, note=form.note.data or "",
                                                      place=form.place.data or "")):
            return redirect(url_for(".unit", ownership_id=ownership_id))
        flash(_("The unit is reported stolen. Anyone who scans it now sees that."), "warning")
    return redirect(url_for(".unit", ownership_id=ownership_id))


@bp.post("/my/units/<int:ownership_id>/recovered")
@login_required
def report_recovered(ownership_id: int):
    ownership = _my_ownership(ownership_id)
    if EmptyForm().validate_on_submit():
        if not attempt(lambda: services.report_recovered(current_user, ownership)):
            return redirect(url_for(".unit", ownership_id=ownership_id))
        flash(_("Glad you have it back. The stolen report is withdrawn."), "success")
    return redirect(url_for(".unit", ownership_id=ownership_id))


#: A refused dispute's draft (core/drafts.py): the unit and the message as typed wait for the GET.
DISPUTE_DRAFT = "dispute"


@bp.route("/my/dispute", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def dispute():
    """A refused submit answers 303 to the GET (post-redirect-get, core/drafts.py): the message as typed and
    the refusal wait in the session (a message too long for the cookie is answered from the POST as before)."""
    if request.method == "GET":
        return _dispute_page()
    form = DisputeForm()
    if not form.validate_on_submit():
        return _dispute_again(form, 400)
    opened = attempt(lambda: services.open_dispute(current_user, find_unit(form.gtin.data, form.serial.data),
                                                   form.message.data), refused=on_field(form, form.message))
    if not opened:
        return _dispute_again(form, opened.refusal.status)
    drafts.drop(DISPUTE_DRAFT)
    flash(_("Your dispute is with the manufacturer. They will contact you by e-mail."), "success")
    return redirect(url_for(".my_products"))


def _dispute_page():
    """The registration's refusal links here with the unit (?gtin=&serial=), which replaces any draft; else
    what the last refused submit left (its refusal shown once), else an empty form."""
    if request.args.get("gtin") or request.args.get("serial"):
        drafts.drop(DISPUTE_DRAFT)
        form = DisputeForm(formdata=None, data={"gtin": request.args.get("gtin", ""),
                                                "serial": request.args.get("serial", "")})
        return render_template("ownership/dispute.html", form=form)
    form, status = drafts.form_again(DISPUTE_DRAFT, current_user.id, DisputeForm)
    return render_template("ownership/dispute.html", form=form), status


def _dispute_again(form: DisputeForm, status: int):
    return drafts.again(DISPUTE_DRAFT, current_user.id, form, "ownership/dispute.html", url_for(".dispute"),
                        status=status)
