"""Account security pages (routes on the accounts blueprint): the code step of sign-in, setting up or
replacing the second factor, and the list of sessions with their sign-out buttons."""
from __future__ import annotations

import json
import time

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.accounts import second_factor as factor
from portal.accounts.forms import CodeForm, EmptyForm, NewFactorForm
from portal.accounts.guard import current_session, mark_second_factor_passed, sign_in, sign_out
from portal.accounts.models import User
from portal.accounts.sessions import active_sessions, live_session_of, revoke_other_sessions, revoke_session
from portal.accounts.views import _safe_next, _signin_limit, bp
from portal.core import drafts
from portal.core.errors import DomainError, Throttled
from portal.core.secrets import decrypt_secret, encrypt_secret
from portal.core.work import attempt, on_field
from portal.extensions import db, limiter

PENDING_SECONDS = 300  # the code step must follow the password within five minutes
UNLOCK_SECONDS = 600  # after a fresh code, ten minutes to scan the replacement


def _pending_user() -> User | None:
    pending = session.get("pending_second_factor")
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("u") or 0)
    return user if user is not None and user.auth_version == pending.get("v") else None


@bp.route("/signin/code", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def signin_code():
    """Second step of sign-in, and the re-check when a signed-in session has not passed it yet. A refused code
    answers 303 to the GET (post-redirect-get, core/drafts.py), counted and committed first as before."""
    signed_in = current_user.is_authenticated
    user = current_user if signed_in else _pending_user()
    if user is None:
        flash(_("Sign in again: the code step waits five minutes at most."), "info")
        return redirect(url_for(".signin"))
    if factor.factor_of(user) is None:
        return redirect(url_for(".second_factor", next=request.args.get("next")))
    next_target = request.args.get("next")
    if request.method == "GET":
        draft = drafts.take(CODE_DRAFT, user.id)
        form = CodeForm(formdata=None)
        if draft is None:
            return render_template("accounts/code.html", form=form)
        drafts.show_errors(form, draft)
        return render_template("accounts/code.html", form=form), draft.status
    form = CodeForm()
    if not form.validate_on_submit():
        return _code_again(form, user, 400, next_target)
    try:
        kind = factor.check_code(user, form.code.data)
    except DomainError as err:
        db.session.commit()  # keep the failure count: it is what throttles guessing
        form.code.errors.append(str(err))
        return _code_again(form, user, 429 if isinstance(err, Throttled) else 400, next_target)
    drafts.drop(CODE_DRAFT)
    if signed_in:
        mark_second_factor_passed()
    else:
        sign_in(user, second_factor=True)
    db.session.commit()
    if kind == "recovery":
        flash(_("Recovery code used; %(n)d left. If your phone is lost, set up a new authenticator now.",
                n=factor.recovery_codes_left(user)), "warning")
    return redirect(_safe_next(next_target))


#: A refused code's draft (core/drafts.py): only the refusal, never the code typed (a one-time secret), for the
#: account whose code step it is.
CODE_DRAFT = "signin_code"


def _code_again(form: CodeForm, user: User, status: int, target: str | None):
    form.code.raw_data, form.code.data = [], ""  # never kept, never shown back
    if drafts.keep(CODE_DRAFT, user.id, form, skip=("code",), status=status):
        return redirect(url_for(".signin_code", next=target), 303)
    return render_template("accounts/code.html", form=form), status


def _unlocked() -> bool:
    return time.time() - session.get("second_factor_unlocked_at", 0) <= UNLOCK_SECONDS


def _pending_secret() -> bytes:
    """The secret being set up, kept encrypted in the session until the person confirms it."""
    stored = session.get("new_second_factor")
    if stored:
        return decrypt_secret(stored)
    secret = factor.new_secret()
    session["new_second_factor"] = encrypt_secret(secret)
    return secret


@bp.route("/account/second-factor", methods=["GET", "POST"])
@login_required
@limiter.limit(_signin_limit, methods=["POST"])
def second_factor():
    """Set up an authenticator, or replace it; replacing needs a fresh code from the current one first."""
    current = factor.factor_of(current_user)
    if current is not None and not _unlocked():
        if request.method == "POST":
            abort(403)
        return render_template("accounts/second_factor.html", enrolled=current, unlock_form=CodeForm(),
                               left=factor.recovery_codes_left(current_user))
    secret = _pending_secret()
    form = NewFactorForm()
    if form.validate_on_submit():
        def enrol() -> list[str]:
            codes = factor.confirm_enrolment(current_user, secret, form.code.data)
            mark_second_factor_passed()
            return codes
        enrolled = attempt(enrol, refused=on_field(form, form.code))
        if enrolled:
            codes = enrolled.value
            session.pop("new_second_factor", None)
            session.pop("second_factor_unlocked_at", None)
            # Post-redirect-get: the codes wait, encrypted, in this browser's session for the one page that
            # shows them; they are never stored in clear and cannot be read again after it.
            session[FRESH_CODES] = encrypt_secret(json.dumps(codes).encode())
            return redirect(url_for(".recovery_codes", next=request.args.get("next")))
    uri = factor.provisioning_uri(secret, current_user.email)
    return render_template("accounts/second_factor.html", enrolled=current, form=form, qr=factor.qr_svg(uri),
                           secret_text=factor.secret_text(secret)), 400 if form.errors else 200


FRESH_CODES = "fresh_recovery_codes"


@bp.get("/account/second-factor/recovery-codes")
@login_required
def recovery_codes():
    """The new recovery codes, once: reloading or coming Back finds them gone and says where they went."""
    stored = session.pop(FRESH_CODES, None)
    if not stored:
        flash(_("Your recovery codes were shown once, when the authenticator was set up. If you did not keep "
                "them, set up the authenticator again to get new ones."), "info")
        return redirect(url_for(".sessions_page"))
    return render_template("accounts/recovery_codes.html", codes=json.loads(decrypt_secret(stored)),
                           next=_safe_next(request.args.get("next")))


@bp.post("/account/second-factor/unlock")
@login_required
@limiter.limit(_signin_limit)
def second_factor_unlock():
    """A fresh code from the current authenticator (or a recovery code) opens the replacement for a while."""
    form = CodeForm()
    if not form.validate_on_submit():
        return redirect(url_for(".second_factor"))
    try:
        factor.check_code(current_user, form.code.data)
    except DomainError as err:
        db.session.commit()
        form.code.errors.append(str(err))
        return render_template("accounts/second_factor.html", enrolled=factor.factor_of(current_user),
                               unlock_form=form, left=factor.recovery_codes_left(current_user)), (
            429 if isinstance(err, Throttled) else 400)
    mark_second_factor_passed()
    db.session.commit()
    session["second_factor_unlocked_at"] = int(time.time())
    session.pop("new_second_factor", None)
    return redirect(url_for(".second_factor"))


@bp.get("/account/sessions")
@login_required
def sessions_page():
    this = current_session()
    listed = sorted(active_sessions(current_user), key=lambda row: this is None or row.id != this.id)  # stable
    return render_template("accounts/sessions.html", sessions=listed, this=this,
                           form=EmptyForm(), factor=factor.factor_of(current_user),
                           required=factor.needs_second_factor(current_user))


@bp.post("/account/sessions/<int:session_id>/revoke")
@login_required
def revoke_one_session(session_id: int):
    row = live_session_of(current_user, session_id)
    if row is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        if row is current_session():
            sign_out()
            db.session.commit()
            flash(_("You are signed out."), "info")
            return redirect(url_for("public.home"))
        revoke_session(row)
        db.session.commit()
        flash(_("That session is signed out."), "info")
    return redirect(url_for(".sessions_page"))


@bp.post("/account/sessions/revoke-others")
@login_required
def revoke_others():
    if EmptyForm().validate_on_submit():
        ended = revoke_other_sessions(current_user, current_session())
        db.session.commit()
        flash(_("Signed out everywhere else (%(n)d sessions).", n=ended), "info")
    return redirect(url_for(".sessions_page"))
