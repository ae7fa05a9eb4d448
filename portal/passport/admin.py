"""Platform-wide reading rights: a platform admin lets a checked person (a recycler working for every brand, a
market-surveillance authority) read a higher tier of every manufacturer's passports. Audit-logged."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.accounts.guard import second_factor_gate
from portal.core.work import attempt
from portal.passport import queries, services
from portal.passport.models import GrantTier

bp = Blueprint("passport_admin", __name__, url_prefix="/admin/passport-access")


@bp.before_request
@login_required
def _platform_admins_only():
    if not current_user.is_platform_admin:
        abort(404)
    return second_factor_gate()


@bp.get("")
def index():
    return render_template("passport/admin.html", grants=queries.grants(None), roles=services.ROLES,
                           tiers=list(GrantTier))


@bp.post("")
def grant():
    f = request.form
    if attempt(lambda: services.grant(f.get("email", ""), f.get("tier", ""), f.get("role", ""), manufacturer=None,
                                      actor=current_user)):
        flash(_("Access granted for every manufacturer's passports."), "success")
    return redirect(url_for(".index"))


@bp.post("/<int:grant_id>/revoke")
def revoke(grant_id: int):
    if attempt(lambda: services.revoke(grant_id, manufacturer=None, actor=current_user)):
        flash(_("Access revoked."), "success")
    return redirect(url_for(".index"))
