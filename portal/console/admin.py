"""Platform administration: opening manufacturer tenants."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.accounts.guard import second_factor_gate
from portal.catalog.models import Manufacturer
from portal.catalog.services import create_tenant
from portal.console.forms import TenantForm
from portal.core.errors import DomainError
from portal.extensions import db

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
        try:
            tenant = create_tenant(form.slug.data, form.name.data, [form.gs1_prefix.data], actor=current_user)
        except DomainError as err:
            db.session.rollback()
            (getattr(form, err.field or "", None) or form.slug).errors.append(str(err))
        else:
            db.session.commit()
            flash(f"Tenant {tenant.name} created. Add its first admin from the command line or its team page.", "success")
            return redirect(url_for(".tenants"))
    rows = db.session.scalars(select(Manufacturer).order_by(Manufacturer.name)).all()
    return render_template("console/tenants.html", tenants=rows, form=form), 400 if form.errors else 200
