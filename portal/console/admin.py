"""Platform administration: opening manufacturer tenants, resetting a lost second factor."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.accounts.forms import ResetFactorForm
from portal.accounts.guard import second_factor_gate
from portal.accounts.second_factor import may_reset_factor, reset_second_factor
from portal.accounts.services import find_user
from portal.catalog.services import create_tenant
from portal.console import queries
from portal.console.forms import TenantForm
from portal.core.work import attempt, on_field

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _platform_admins_only():
    if not current_user.is_platform_admin:
        abort(404)
    return second_factor_gate()


@bp.route("/tenants", methods=["GET", "POST"])
def tenants():
    form = TenantForm()
    if form.validate_on_submit():
        created = attempt(lambda: create_tenant(form.slug.data, form.name.data, [form.gs1_prefix.data],
                                                actor=current_user), refused=on_field(form, form.slug))
        if created:
            flash(_("Tenant %(name)s created. Add its first admin from the command line or its team page.",
                    name=created.value.name), "success")
            return redirect(url_for(".tenants"))
    return render_template("console/tenants.html", tenants=queries.all_tenants(), form=form, reset_form=ResetFactorForm()), (
        400 if form.errors else 200)


@bp.post("/second-factor/reset")
def reset_factor():
    """A person lost their phone: remove their second factor so they set up a new one. Audit-logged."""
    form = ResetFactorForm()
    user = find_user(form.email.data or "") if form.validate_on_submit() else None
    if user is None:
        flash(_("No account uses that e-mail address."), "error")
        return redirect(url_for(".tenants"))
    if not may_reset_factor(current_user, user, by_platform=True):
        abort(403)
    if attempt(lambda: reset_second_factor(user, actor=current_user)):
        flash(_("%(email)s sets up a new second factor at their next sign-in.", email=user.email), "info")
    return redirect(url_for(".tenants"))
