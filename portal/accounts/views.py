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


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def signup():
    form = SignUpForm()
    if form.validate_on_submit():
        if not attempt(lambda: services.sign_up(form.email.data, form.password.data, form.name.data,
                                                locale=current_language()), refused=on_field(form, form.email)):
            return render_template("accounts/signup.html", form=form), 400
        # The same answer whether the address was new or already had an account (the e-mail says which),
        # so sign-up tells nobody who has an account: no sign-in here, the password signs in next.
        flash(_("Welcome to Provenance. We sent you an e-mail: follow its link to confirm your address."), "success")
        return redirect(url_for(".signin"))
    return render_template("accounts/signup.html", form=form), 400 if form.errors else 200


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def signin():
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as err:
            db.session.commit()  # keep the failure count: it is what throttles guessing
            form.password.errors.append(str(err))
            return render_template("accounts/signin.html", form=form), 429 if isinstance(err, Throttled) else 400
        target = request.args.get("next")
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
    return render_template("accounts/signin.html", form=form), 400 if form.errors else 200


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
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If an account uses that address, a reset link is on its way. It works for one hour."), "info")
        return redirect(url_for("accounts.signin"))
    return render_template("accounts/reset_request.html", form=form), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def reset(token: str):
    form = ResetForm()
    if form.validate_on_submit():
        if not attempt(lambda: services.reset_password(token, form.password.data),
                       refused=on_field(form, form.password)):
            return render_template("accounts/reset.html", form=form), 400
        logout_user()
        flash(_("Your password is changed. Sign in with the new one."), "success")
        return redirect(url_for("accounts.signin"))
    return render_template("accounts/reset.html", form=form), 400 if form.errors else 200
