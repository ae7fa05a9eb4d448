"""Sign-up, sign-in, sign-out, e-mail verification and password reset pages."""
from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from portal.accounts import queries, services
from portal.accounts.forms import EmptyForm, ResetForm, ResetRequestForm, SignInForm, SignUpForm
from portal.accounts.guard import sign_in, sign_out
from portal.accounts.second_factor import factor_of, needs_second_factor
from portal.core import drafts
from portal.core.errors import DomainError, Throttled
from portal.core.i18n import current_language
from portal.core.urls import local_path
from portal.core.work import attempt, on_field, shown_by_page
from portal.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _signin_limit() -> str:
    return current_app.config["RATELIMIT_SIGNIN"]


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: the `next` path if it stays on this site, else the console for staff
    (their work is there) and My products for everyone else."""
    home = url_for("console.index") if queries.staff_memberships() else url_for("ownership.my_products")
    return local_path(target, home)


#: Refused account forms' drafts (core/drafts.py): what was typed, never a password; no account is signed in
#: yet, so each belongs to this browser's session only (a reset's draft to its link's token too).
SIGNUP_DRAFT, RESET_REQUEST_DRAFT, RESET_DRAFT = "signup", "reset-request", "reset"


def _again(name: str, form, template: str, to: str, *, scope: object = None):
    """A refused account form answers 303 to its page (post-redirect-get), or from the POST when the draft
    would not fit the session cookie. Its passwords are never kept nor shown back."""
    return drafts.again(name, None, form, template, to, status=400, scope=scope)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def signup():
    if request.method == "GET":
        form, status = drafts.form_again(SIGNUP_DRAFT, None, SignUpForm)
        return render_template("accounts/signup.html", form=form), status
    form = SignUpForm()
    if not form.validate_on_submit() or not attempt(
            lambda: services.sign_up(form.email.data, form.password.data, form.name.data, locale=current_language()),
            refused=on_field(form, form.email)):
        return _again(SIGNUP_DRAFT, form, "accounts/signup.html", url_for(".signup"))
    drafts.drop(SIGNUP_DRAFT)
    # The same answer whether the address was new or already had an account (the e-mail says which),
    # so sign-up tells nobody who has an account: no sign-in here, the password signs in next.
    flash(_("Welcome to Provenance. We sent you an e-mail: follow its link to confirm your address."), "success")
    return redirect(url_for(".signin"))


#: A refused sign-in's draft (core/drafts.py): the e-mail as typed, never the password. No account is signed
#: in yet, so it belongs to this browser's session only.
SIGNIN_DRAFT = "signin"


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def signin():
    """A refused sign-in answers 303 to the GET (post-redirect-get, core/drafts.py), which shows the refusal
    once with its status: Back and reload never send the password again. The failure is counted (and
    committed) before the redirect, exactly as when the page answered from the POST."""
    target = request.args.get("next")
    if request.method == "GET":
        form, status = drafts.form_again(SIGNIN_DRAFT, None, SignInForm)
        return render_template("accounts/signin.html", form=form), status
    form = SignInForm()
    if not form.validate_on_submit():
        return _signin_again(form, 400, target)
    try:
        user = services.authenticate(form.email.data, form.password.data)
    except DomainError as err:
        db.session.commit()  # keep the failure count: it is what throttles guessing
        form.password.errors.append(str(err))
        return _signin_again(form, 429 if isinstance(err, Throttled) else 400, target)
    drafts.drop(SIGNIN_DRAFT)
    if factor_of(user) is not None:
        # The password was right; the session is not signed in until the code step passes too.
        session["pending_second_factor"] = {"u": user.id, "v": user.auth_version, "at": int(time.time())}
        db.session.commit()
        return redirect(url_for(".signin_code", next=target))
    sign_in(user, second_factor=False)
    db.session.commit()
    if needs_second_factor(user):
        flash(_("Staff accounts need a second factor. Set it up now to open the console."), "info")
        return redirect(url_for(".second_factor", next=target))
    return redirect(_safe_next(target))


def _signin_again(form: SignInForm, status: int, target: str | None):
    """The e-mail as typed and the refusal wait for the GET; the password is never kept (it is typed again)."""
    form.password.raw_data = []  # neither kept nor shown back, even when answered from the POST
    if drafts.keep(SIGNIN_DRAFT, None, form, status=status):  # a PasswordField is never kept
        return redirect(url_for(".signin", next=target), 303)
    return render_template("accounts/signin.html", form=form), status


@bp.post("/signout")
def signout():
    if EmptyForm().validate_on_submit():
        sign_out()
        db.session.commit()
        flash(_("You are signed out."), "info")
    return redirect(url_for("public.home"))


@bp.get("/verify/<token>")
def verify(token: str):
    verified = attempt(lambda: services.verify_email(token), refused=shown_by_page)
    if not verified:
        return render_template("error.html", code=400, title=_("Link not valid"), text=str(verified.refusal)), 400
    flash(_("Your e-mail address is confirmed. You can register your products now."), "success")
    return redirect(url_for("ownership.my_products") if current_user.is_authenticated else url_for("accounts.signin"))


@bp.post("/verify/resend")
@login_required
@limiter.limit("5 per hour")
def resend_verification():
    if EmptyForm().validate_on_submit() and not current_user.is_verified:
        services.send_verification(current_user)
        db.session.commit()
        flash(_("We sent a new confirmation e-mail."), "info")
    return redirect(url_for("ownership.my_products"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def reset_request():
    if request.method == "GET":
        form, status = drafts.form_again(RESET_REQUEST_DRAFT, None, ResetRequestForm)
        return render_template("accounts/reset_request.html", form=form), status
    form = ResetRequestForm()
    if not form.validate_on_submit():
        return _again(RESET_REQUEST_DRAFT, form, "accounts/reset_request.html", url_for(".reset_request"))
    drafts.drop(RESET_REQUEST_DRAFT)
    services.request_password_reset(form.email.data)
    db.session.commit()
    flash(_("If an account uses that address, a reset link is on its way. It works for one hour."), "info")
    return redirect(url_for("accounts.signin"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def reset(token: str):
    if request.method == "GET":
        form, status = drafts.form_again(RESET_DRAFT, None, ResetForm, scope=token)
        return render_template("accounts/reset.html", form=form), status
    form = ResetForm()
    if not form.validate_on_submit() or not attempt(lambda: services.reset_password(token, form.password.data),
                                                    refused=on_field(form, form.password)):
        return _again(RESET_DRAFT, form, "accounts/reset.html", url_for(".reset", token=token), scope=token)
    drafts.drop(RESET_DRAFT)
    logout_user()
    flash(_("Your password is changed. Sign in with the new one."), "success")
    return redirect(url_for("accounts.signin"))
