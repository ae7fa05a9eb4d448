"""The console face: the tenant list, the overview, product models, units, the team and the audit log.
Console queries of tenant data go through `portal.accounts.tenancy` (scoped, tenant_scoped)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role, SecondFactor, StaffMembership, User
from portal.accounts.second_factor import may_reset_factor, reset_second_factor
from portal.accounts.services import add_staff, remove_staff
from portal.accounts.tenancy import PAGE, console, scoped, scoped_count, staff_required, tenant_scoped
from portal.authenticity.models import CounterfeitReport, Label
from portal.catalog import services as catalog
from portal.catalog.models import Disposition, Lot, ProductModel, Unit, UnitEvent
from portal.console.dashboard import build_dashboard
from portal.console.forms import ModelForm, ModelImageForm, StaffForm
from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.core.storage import store_image
from portal.core.work import attempt, on_field
from portal.extensions import db
from portal.ownership.models import Ownership, OwnershipDispute
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


def with_actors(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Load the accounts behind a page of audit entries in one query, instead of one per row."""
    ids = {e.actor_id for e in entries if e.actor_id}
    g.audit_actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return entries


@bp.get("/")
@login_required
def index():
    memberships = db.session.scalars(select(StaffMembership).where(StaffMembership.user_id == current_user.id)).all()
    if len(memberships) == 1:
        return redirect(url_for(".home", tenant=memberships[0].manufacturer.slug))
    return render_template("console/index.html", memberships=memberships)


@bp.get("/<tenant>/")
def home():
    tenant = g.tenant
    counts = {
        "models": db.session.scalar(scoped_count(ProductModel)),
        "units": db.session.scalar(scoped_count(Unit)),
        "registered": db.session.scalar(
            scoped_count(Unit).join(Ownership, Ownership.unit_id == Unit.id).where(Ownership.is_current)),
        "stolen": db.session.scalar(scoped_count(Unit).where(Unit.status == Disposition.STOLEN)),
        "reports": db.session.scalar(scoped_count(CounterfeitReport)),
        "disputes": db.session.scalar(
            scoped_count(Unit).join(OwnershipDispute, OwnershipDispute.unit_id == Unit.id)
            .where(OwnershipDispute.resolved_at.is_(None))),
    }
    recent = with_actors(db.session.scalars(scoped(AuditEntry).order_by(AuditEntry.id.desc()).limit(8)).all())
    return render_template("console/home.html", tenant=tenant, counts=counts, recent=recent,
                           dashboard=build_dashboard(tenant.id))


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
    unit_counts = (select(Unit.model_id, func.count().label("n")).where(Unit.manufacturer_id == g.tenant.id)
                   .group_by(Unit.model_id).subquery())
    rows = db.session.execute(
        scoped(ProductModel).add_columns(func.coalesce(unit_counts.c.n, 0))
        .outerjoin(unit_counts, unit_counts.c.model_id == ProductModel.id).order_by(ProductModel.name)
    ).all()
    return render_template("console/models.html", rows=rows, form=form), 400 if form.errors else 200


@bp.get("/<tenant>/models/<int:model_id>")
def model(model_id: int):
    return _model_page(tenant_scoped(ProductModel, id=model_id), ModelImageForm())


def _model_page(product: ProductModel, image_form: ModelImageForm, status: int = 200):
    lots = db.session.execute(
        select(Lot, func.count(Unit.id)).outerjoin(Unit, Unit.lot_id == Lot.id)
        .where(Lot.model_id == product.id).group_by(Lot.id).order_by(Lot.code)
    ).all()
    total = db.session.scalar(scoped_count(Unit).where(Unit.model_id == product.id))
    return render_template("console/model.html", product=product, lots=lots, total=total,
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
    flash("Picture saved.", "success")
    return redirect(url_for(".model", model_id=model_id))


@bp.get("/<tenant>/units")
def units():
    q = request.args.get("q", "").strip()
    after = request.args.get("after", type=int) or 0
    stmt = scoped(Unit).where(Unit.id > after).order_by(Unit.id).limit(PAGE + 1)
    if q:
        stmt = stmt.where(Unit.serial.startswith(q, autoescape=True))
    found = db.session.scalars(stmt).all()
    more = len(found) > PAGE
    return render_template("console/units.html", units=found[:PAGE], q=q,
                           next_after=found[PAGE - 1].id if more else None)


@bp.get("/<tenant>/units/<int:unit_id>")
def unit(unit_id: int):
    item = tenant_scoped(Unit, id=unit_id)
    ownerships = db.session.scalars(select(Ownership).where(Ownership.unit_id == item.id)
                                    .order_by(Ownership.since.desc())).all()
    events = db.session.scalars(select(UnitEvent).where(UnitEvent.unit_id == item.id)
                                .order_by(UnitEvent.occurred_at.desc(), UnitEvent.id.desc())).all()
    disputes = db.session.scalars(select(OwnershipDispute).where(OwnershipDispute.unit_id == item.id)).all()
    labels = db.session.scalars(select(Label).where(Label.unit_id == item.id).order_by(Label.number)).all()
    return render_template("console/unit.html", unit=item, ownerships=ownerships, events=events, disputes=disputes,
                           labels=labels, cover=coverage(item, utcnow()), extension_form=ExtensionForm())


@bp.get("/<tenant>/units/<int:unit_id>/proof")
def unit_proof(unit_id: int):
    item = tenant_scoped(Unit, id=unit_id)
    ownership = db.session.scalar(select(Ownership).where(Ownership.unit_id == item.id, Ownership.is_current))
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
    members = db.session.scalars(scoped(StaffMembership).order_by(StaffMembership.created_at)).all()
    enrolled = set(db.session.scalars(select(SecondFactor.user_id).where(
        SecondFactor.user_id.in_([m.user_id for m in members]))))
    return render_template("console/team.html", members=members, form=form, remove_form=EmptyForm(),
                           enrolled=enrolled), (
        400 if form.errors else 200)


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
    rows = db.session.scalars(
        select(OwnershipDispute).join(Unit, Unit.id == OwnershipDispute.unit_id)
        .where(Unit.manufacturer_id == g.tenant.id).order_by(OwnershipDispute.created_at.desc())
    ).all()
    return render_template("console/disputes.html", disputes=rows)


@bp.get("/<tenant>/audit")
@staff_required()
def audit_log():
    before = request.args.get("before", type=int)
    stmt = scoped(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE + 1)
    if before:
        stmt = stmt.where(AuditEntry.id < before)
    entries = with_actors(db.session.scalars(stmt).all())
    more = len(entries) > PAGE
    return render_template("console/audit.html", entries=entries[:PAGE],
                           next_before=entries[PAGE - 1].id if more else None)
