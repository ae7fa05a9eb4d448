"""Owner pages of the warranty area: coverage certificate, filing a claim, following it.

Every claim and photo is loaded through `my_claim`, so a claim of someone else answers 404, never 403.
"""
from __future__ import annotations

import io
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from wtforms.validators import ValidationError

from portal.accounts.forms import EmptyForm
from portal.core import drafts, staging
from portal.core.db import utcnow
from portal.core.errors import DomainError
from portal.core.staging import StagedUpload
from portal.core.storage import IMAGE_TYPES, open_stored, store_image, thumbnail_of
from portal.extensions import db, limiter
from portal.ownership.models import Ownership
from portal.warranty import queries, services
from portal.warranty.certificate import render_certificate
from portal.warranty.coverage import Coverage, coverage
from portal.warranty.forms import (
    CATEGORY_LABELS,
    GOODWILL_LABEL,
    MAX_PHOTOS,
    REMEDY_LABELS,
    AddPhotosForm,
    AnswerForm,
    ClaimForm,
    MessageForm,
    read_photos,
)
from portal.warranty.models import ClaimState, WarrantyClaim
from portal.warranty.rma import render_rma
from portal.warranty.timeline import timeline

bp = Blueprint("warranty", __name__)

MIME_BY_EXT = {ext: mime for mime, ext in IMAGE_TYPES.values()}
THUMB_PIXELS = 480  # a 240 px wide thumbnail on a 2x phone screen


# --- loading ------------------------------------------------------------------------------------------

def my_ownership(ownership_id: int) -> Ownership:
    ownership = queries.ownership(ownership_id)
    if ownership is None or ownership.owner_id != current_user.id or ownership.until is not None:
        abort(404)
    return ownership


def my_claim(number: str) -> WarrantyClaim:
    claim = queries.claim_numbered(number)
    if claim is None or claim.owner_id != current_user.id:
        abort(404)
    return claim


# --- helpers the owner's unit page uses (ownership/unit.html) ---------------------------------------------

@bp.app_template_global()
def warranty_coverage(unit) -> Coverage:
    """Coverage today, on the warranty calendar (the same answer a claim filed now would get)."""
    return coverage(unit, utcnow())


@bp.app_template_global()
def my_claims_for_unit(unit) -> list[WarrantyClaim]:
    """The signed-in owner's claims on `unit`, newest first (a previous owner's claims stay private)."""
    return queries.claims_on_unit_of(unit.id, current_user.id)


@bp.app_template_global()
def coverage_when_filed(claim: WarrantyClaim) -> str:
    """The claim's coverage on the day it was filed, in the reader's language (the stored line is the filer's)."""
    return coverage(claim.unit, claim.created_at).words


@bp.app_template_global()
def my_claims_waiting() -> dict[int, WarrantyClaim]:
    """The signed-in owner's claims that wait for them (an answer or the parcel), by unit id."""
    return queries.claims_waiting_for(current_user.id) if current_user.is_authenticated else {}


@bp.app_template_filter("claim_category")
def claim_category(code: str) -> str:
    return str(CATEGORY_LABELS.get(code, code.replace("_", " ").capitalize()))


@bp.app_template_filter("claim_remedy")
def claim_remedy(code: str) -> str:
    return str(REMEDY_LABELS.get(code, code.capitalize()))


# --- certificate -------------------------------------------------------------------------------------------

def _file_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "unit"


@bp.get("/my/units/<int:ownership_id>/certificate.pdf")
@login_required
@limiter.limit("60 per hour")
def certificate(ownership_id: int):
    ownership = my_ownership(ownership_id)
    pdf = render_certificate(ownership)
    return _pdf(pdf, f"warranty-certificate-{_file_part(ownership.unit.serial)}.pdf")


def _pdf(data: bytes, name: str):
    response = send_file(io.BytesIO(data), mimetype="application/pdf", download_name=name, as_attachment=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- filing -----------------------------------------------------------------------------------------------

@bp.route("/my/units/<int:ownership_id>/claims/new", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per hour", methods=["POST"])
def new_claim(ownership_id: int):
    """Every submit that is not filed answers 303 to this page (post-redirect-get, core/drafts.py): the claim as
    typed, its staged photos and the refusal wait in the session, so Back and reload never send it again."""
    ownership = my_ownership(ownership_id)
    unit = ownership.unit
    cover = coverage(unit, utcnow())
    if request.method == "GET":
        draft = drafts.take(CLAIM_DRAFT, current_user.id, scope=ownership.id)
        form = ClaimForm(formdata=draft.values if draft else None)
        if draft is not None:
            drafts.show_errors(form, draft)
        return render_template("warranty/new_claim.html", form=form, ownership=ownership, unit=unit, cover=cover,
                               goodwill_label=GOODWILL_LABEL, error=draft.message if draft else None,
                               staged=_still_staged(draft.tokens) if draft else []), draft.status if draft else 200
    form = ClaimForm()

    def again(staged: list[tuple[str, StagedUpload]], status: int, error: str | None = None):
        if drafts.keep(CLAIM_DRAFT, current_user.id, form, scope=ownership.id, tokens=[t for t, _row in staged],
                       message=error, status=status):
            return redirect(url_for(".new_claim", ownership_id=ownership.id), 303)
        return render_template("warranty/new_claim.html", form=form, ownership=ownership, unit=unit, cover=cover,
                               goodwill_label=GOODWILL_LABEL, error=error, staged=staged), status  # too big to keep

    staged, refused = _staged_photos(form)
    if refused is not None or request.form.get("remove_photo"):
        return again(staged, refused or 200)
    if not form.validate_on_submit():
        return again(staged, 400)
    photos = [(open_stored(row.key).read_bytes(), row.name) for _token, row in staged]
    try:
        claim = services.file_claim(current_user, unit, category=form.category.data,
                                    description=form.description.data, started_on=form.started_on.data,
                                    preferred_remedy=form.preferred_remedy.data, photos=photos,
                                    goodwill=bool(form.goodwill.data), return_country=form.return_country.data)
    except DomainError as err:
        db.session.rollback()  # the staged photos were committed on receipt: they stay for the next try
        staged = _still_staged([token for token, _row in staged])
        target = getattr(form, err.field, None) if err.field else None
        if target is None and not cover.covered and not form.goodwill.data and not unit.is_stolen:
            target = form.goodwill  # the refusal says why and points at the box that lets them ask anyway
        if target is not None:
            target.errors.append(str(err))
        return again(staged, err.status, None if target is not None else str(err))
    for _token, row in staged:
        staging.discard(row)  # the claim stored its own copies
    db.session.commit()
    drafts.drop(CLAIM_DRAFT)
    if claim.goodwill:
        flash(_("Your goodwill request %(number)s is filed. We e-mail you at every step.", number=claim.number),
              "success")
    else:
        flash(_("Your claim %(number)s is filed. We e-mail you at every step.", number=claim.number), "success")
    return redirect(url_for(".claim", number=claim.number))


#: A refused claim's draft, for the one unit it was typed for (core/drafts.py).
CLAIM_DRAFT = "claim"


def _still_staged(tokens: list[str]) -> list[tuple[str, StagedUpload]]:
    rows = [(token, staging.staged(current_user.id, token, purpose="claim-photo")) for token in tokens]
    return [(token, row) for token, row in rows if row is not None]


def _staged_photos(form: ClaimForm) -> tuple[list[tuple[str, StagedUpload]], int | None]:
    """The claim's photos for this submit (core/staging.py): those staged by earlier tries, less one the
    person removed, plus new ones, checked and staged now and committed, so a refusal below keeps them.
    The form's own photo check then sees no files (they are staged). Returns them and a status when a new
    photo was refused (its error is on the field)."""
    kept = _still_staged(request.form.getlist("photo_token")[:MAX_PHOTOS])
    removed = request.form.get("remove_photo")
    for token, row in [pair for pair in kept if pair[0] == removed]:
        staging.discard(row)
        kept.remove((token, row))
    try:  # the form's own checks and words, at receipt
        fresh = read_photos(form.photos, room=MAX_PHOTOS - len(kept))
    except ValidationError as err:
        form.photos.errors = [str(err)]
        db.session.commit()  # a removal above stands
        return kept, 400
    form.photos.data = []
    for data, name in fresh:
        try:
            row, token = staging.stage(current_user.id, data, name, purpose="claim-photo", store=store_image)
        except DomainError as err:
            db.session.rollback()
            form.photos.errors = [f"{name}: {err}"]
            return _still_staged([token for token, _row in kept]), 400
        kept.append((token, row))
    db.session.commit()
    return kept, None


# --- following a claim ---------------------------------------------------------------------------------------

@bp.get("/my/claims")
@login_required
def claims():
    return render_template("warranty/claims.html", claims=queries.claims_of(current_user.id))


def _show(claim: WarrantyClaim, status: int = 200, *, error: str | None = None, answer_form=None,
          message_form=None, photos_form=None):
    room = services.MAX_PHOTOS - claim.photo_count
    photos_form = photos_form or AddPhotosForm(formdata=None)
    answer_form = answer_form or AnswerForm(formdata=None)
    photos_form.photos.room = answer_form.answer_photos.room = room
    question, replacement = queries.open_question(claim), queries.replacement_of(claim)
    return render_template(
        "warranty/claim.html", claim=claim, items=timeline(claim), error=error, question=question,
        answer_form=answer_form, message_form=message_form or MessageForm(formdata=None),
        photos_form=photos_form, room=room,
        can_withdraw=claim.can_move_to(ClaimState.WITHDRAWN, "owner"),
        rma_ready=bool(claim.rma_number), replacement=replacement,
        my_ownership_of=_current_ownership_id,
    ), status


def _current_ownership_id(unit) -> int | None:
    return queries.current_ownership_id(unit.id, current_user.id)


@bp.get("/my/claims/<number>")
@login_required
def claim(number: str):
    return _show(my_claim(number))


def _done(claim: WarrantyClaim, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".claim", number=claim.number))


def _refused(claim: WarrantyClaim, err: DomainError, **forms):
    db.session.rollback()
    return _show(claim, err.status, error=str(err), **forms)


@bp.post("/my/claims/<number>/answer")
@login_required
@limiter.limit("60 per hour")
def answer(number: str):
    claim = my_claim(number)
    form = AnswerForm()
    form.answer_photos.room = services.MAX_PHOTOS - claim.photo_count
    if not form.validate_on_submit():
        return _show(claim, 400, answer_form=form)
    try:
        if form.answer_photos.photos:  # often what was asked for: sent with the answer, in one transaction
            services.add_photos(claim, current_user, form.answer_photos.photos)
        services.move(claim, ClaimState.IN_REVIEW, actor=current_user, role="owner", note=form.answer.data)
    except DomainError as err:
        return _refused(claim, err, answer_form=form)
    return _done(claim, _("Thank you. Your answer is with the manufacturer."))


@bp.post("/my/claims/<number>/messages")
@login_required
@limiter.limit("60 per hour")
def message(number: str):
    claim = my_claim(number)
    form = MessageForm()
    if not form.validate_on_submit():
        return _show(claim, 400, message_form=form)
    try:
        services.add_message(claim, current_user, "owner", form.body.data)
    except DomainError as err:
        return _refused(claim, err, message_form=form)
    return _done(claim, _("Message sent."))


@bp.post("/my/claims/<number>/photos")
@login_required
@limiter.limit("30 per hour")
def add_photos(number: str):
    claim = my_claim(number)
    form = AddPhotosForm()
    form.photos.room = services.MAX_PHOTOS - claim.photo_count
    if not form.validate_on_submit():
        return _show(claim, 400, photos_form=form)
    try:
        services.add_photos(claim, current_user, form.photos.photos)
    except DomainError as err:
        return _refused(claim, err, photos_form=form)
    count = len(form.photos.photos)
    return _done(claim, ngettext("%(num)d photo added.", "%(num)d photos added.", count))


@bp.post("/my/claims/<number>/withdraw")
@login_required
def withdraw(number: str):
    claim = my_claim(number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.move(claim, ClaimState.WITHDRAWN, actor=current_user, role="owner")
    except DomainError as err:
        return _refused(claim, err)
    return _done(claim, _("Claim %(number)s is withdrawn.", number=claim.number))


@bp.get("/my/claims/<number>/photos/<int:entry_id>")
@login_required
def photo(number: str, entry_id: int):
    claim = my_claim(number)
    entry = queries.photo_entry(entry_id)
    if entry is None or entry.claim_id != claim.id or entry.kind != "photo" or not entry.file_key:
        abort(404)
    try:
        path = open_stored(entry.file_key)
    except FileNotFoundError:
        abort(404)
    mime = MIME_BY_EXT.get(path.suffix.lstrip("."), "application/octet-stream")
    if request.args.get("size") == "thumb":  # made once at the first request, then read (core.storage)
        response = send_file(thumbnail_of(entry.file_key, THUMB_PIXELS), mimetype="image/jpeg")
    else:
        response = send_file(path, mimetype=mime, download_name=entry.body or path.name)
    # The key is random and the file never changes: the browser may keep it, shared caches may not.
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.get("/my/claims/<number>/rma.pdf")
@login_required
@limiter.limit("60 per hour")
def rma(number: str):
    claim = my_claim(number)
    if not claim.rma_number:
        abort(404)
    return _pdf(render_rma(claim), f"return-{_file_part(claim.rma_number)}.pdf")
