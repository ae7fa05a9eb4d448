"""The console face: the tenant list, the overview, product models, units, the team and the audit log.
Console queries of tenant data go through `portal.accounts.tenancy` (scoped, tenant_scoped)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role, StaffMembership, User
from portal.accounts.second_factor import may_reset_factor, reset_second_factor
from portal.accounts.services import add_staff, remove_staff
from portal.accounts.tenancy import console, staff_required, tenant_scoped
from portal.catalog import pictures
from portal.catalog import services as catalog
from portal.catalog.models import ProductModel, Unit
from portal.console import queries
from portal.console.dashboard import build_dashboard
from portal.console.forms import ModelForm, ModelImageForm, StaffForm
from portal.core.db import utcnow
from portal.core.storage import store_image
from portal.core.work import attempt, on_field
from portal.extensions import db
from portal.ownership.views import _send_proof
from portal.warranty.coverage import coverage
from portal.warranty.forms import ExtensionForm

bp = console
bp.add_app_template_global(may_reset_factor)  # the team page offers the reset where the rule allows it


@bp.app_template_filter("audit_actor")
def audit_actor(entry) -> str:
    """Who acted, for display: an erased account shows as such, though the stored entry (hash-chained) keeps
    the label it was written with. Pages load the actors first (with_actors)."""
    if not entry.actor_id:
        return entry.actor_label or "—"
    known = g.get("audit_actors")
    actor = known.get(entry.actor_id) if known is not None else db.session.get(User, entry.actor_id)
    if actor is not None and actor.erased_at is not None:
        return actor.display_name
    return entry.actor_label or "—"


@bp.get("/")
@login_required
def index():
    memberships = queries.memberships_of(current_user.id)
    if len(memberships) == 1:
        return redirect(url_for(".home", tenant=memberships[0].manufacturer.slug))
    return render_template("console/index.html", memberships=memberships)


@bp.get("/<tenant>/")
def home():
    return render_template("console/home.html", tenant=g.tenant, counts=queries.home_counts(),
                           recent=queries.recent_audit(), dashboard=build_dashboard(g.tenant.id))


@bp.route("/<tenant>/models", methods=["GET", "POST"])
def models():
    form = ModelForm()
    if request.method == "POST":
        if g.membership.role is not Role.ADMIN:
            abort(403)
        if form.validate_on_submit():
            added = attempt(lambda: catalog.add_model(g.tenant, gtin=form.gtin.data, name=form.name.data,
                                                      warranty_months=form.warranty_months.data,
                                                      description=form.description.data or "", actor=current_user),
                            refused=on_field(form, form.gtin))
            if added:
                flash(f"{added.value.name} added.", "success")
                return redirect(url_for(".models"))
    return render_template("console/models.html", rows=queries.model_rows(), form=form), 400 if form.errors else 200


@bp.get("/<tenant>/models/<int:model_id>")
def model(model_id: int):
    return _model_page(tenant_scoped(ProductModel, id=model_id), ModelImageForm())


def _model_page(product: ProductModel, image_form: ModelImageForm, status: int = 200):
    detail = queries.model_detail(product)
    return render_template("console/model.html", product=product, lots=detail.lots, total=detail.total,
                           image_form=image_form), status


@bp.post("/<tenant>/models/<int:model_id>/image")
@staff_required()
def model_image(model_id: int):
    product = tenant_scoped(ProductModel, id=model_id)
    form = ModelImageForm()
    upload = form.image.data if form.validate_on_submit() else None
    if not upload or not upload.filename:
        form.image.errors.append("Choose a picture to upload.")
        return _model_page(product, form, 400)
    saved = attempt(lambda: catalog.set_model_image(product, store_image(upload.read(), upload.filename),
                                                    actor=current_user), refused=on_field(form, form.image))
    if not saved:
        return _model_page(product, form, saved.refusal.status)
    pictures.prepare(product.image_path)  # the widths owners' pages ask for, made now rather than on first view
    flash(_("Picture saved."), "success")
    return redirect(url_for(".model", model_id=model_id))


@bp.get("/<tenant>/units")
def units():
    q = request.args.get("q", "").strip()
    page = queries.unit_page(q, request.args.get("after", type=int) or 0)
    return render_template("console/units.html", units=page.items, q=q, next_after=page.next_key)


@bp.get("/<tenant>/units/<int:unit_id>")
def unit(unit_id: int):
    item = tenant_scoped(Unit, id=unit_id)
    record = queries.unit_record(item)
    return render_template("console/unit.html", unit=item, ownerships=record.ownerships, events=record.events,
                           disputes=record.disputes, labels=record.labels, cover=coverage(item, utcnow()),
                           extension_form=ExtensionForm())


@bp.get("/<tenant>/units/<int:unit_id>/proof")
def unit_proof(unit_id: int):
    item = tenant_scoped(Unit, id=unit_id)
    ownership = queries.current_ownership_of(item)
    if ownership is None:
        abort(404)
    return _send_proof(ownership)


@bp.route("/<tenant>/team", methods=["GET", "POST"])
def team():
    form = StaffForm()
    if request.method == "POST":
        if g.membership.role is not Role.ADMIN:
            abort(403)
        if form.validate_on_submit() and attempt(
                lambda: add_staff(g.tenant, form.email.data, form.role.data, password=form.password.data or None,
                                  actor=current_user), refused=on_field(form, form.email)):
            flash(f"{form.email.data} is now on the team.", "success")
            return redirect(url_for(".team"))
    staff = queries.team()
    return render_template("console/team.html", members=staff.members, form=form, remove_form=EmptyForm(),
                           enrolled=staff.enrolled), 400 if form.errors else 200


@bp.post("/<tenant>/team/<int:membership_id>/remove")
@staff_required()
def remove_member(membership_id: int):
    membership = tenant_scoped(StaffMembership, id=membership_id)
    if EmptyForm().validate_on_submit() and attempt(lambda: remove_staff(membership, actor=current_user)):
        flash("Removed from the team.", "info")
    return redirect(url_for(".team"))


@bp.post("/<tenant>/team/<int:membership_id>/reset-factor")
@staff_required()
def reset_member_factor(membership_id: int):
    """A lost phone: the member sets up a new authenticator at their next sign-in. Audit-logged."""
    membership = tenant_scoped(StaffMembership, id=membership_id)
    if EmptyForm().validate_on_submit():
        if not may_reset_factor(current_user, membership.user):
            abort(403)
        if attempt(lambda: reset_second_factor(membership.user, actor=current_user, manufacturer_id=g.tenant.id)):
            flash(f"{membership.user.email} sets up a new second factor at their next sign-in.", "info")
    return redirect(url_for(".team"))


@bp.get("/<tenant>/disputes")
def disputes():
    return render_template("console/disputes.html", disputes=queries.disputes())


@bp.get("/<tenant>/audit")
@staff_required()
def audit_log():
    page = queries.audit_page(request.args.get("before", type=int))
    return render_template("console/audit.html", entries=page.items, next_before=page.next_key)
