"""Console pages for the links a manufacturer publishes at its products' Digital Links (admins)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.tenancy import console as bp
from portal.accounts.tenancy import scoped, staff_required
from portal.catalog.models import ProductModel
from portal.core.errors import DomainError
from portal.core.work import attempt, shown_by_page
from portal.extensions import db
from portal.resolver import queries, services
from portal.resolver.vocabulary import MANAGED_TYPES, title_of

MAX_CSV_BYTES = 2 * 1024 * 1024


def _fields(form) -> services.LinkFields:
    return services.LinkFields(
        gtin=form.get("gtin", ""), scope=form.get("scope", ""), link_type=form.get("link_type", ""),
        target=form.get("target", ""), title=form.get("title", ""), lot=form.get("lot") or None,
        language=form.get("language", ""), media_type=form.get("media_type", ""), context=form.get("context", ""),
        is_default=form.get("is_default") == "on")


def _page(status: int = 200, *, editing=None, values=None, error: str | None = None, import_report=None):
    models = db.session.scalars(scoped(ProductModel).order_by(ProductModel.name)).all()
    return render_template("resolver/console_links.html", links=queries.links_of_tenant(g.tenant.id),
                           models={m.id: m for m in models}, types=MANAGED_TYPES, title_of=title_of,
                           csv_header=services.CSV_HEADER, editing=editing, values=values or {}, error=error,
                           import_report=import_report), status


@bp.route("/<tenant>/links", methods=["GET", "POST"])
@staff_required()
def links():
    """List, add (POST) and import the tenant's Digital Link links."""
    if request.method == "GET":
        return _page()
    added = attempt(lambda: services.add_link(g.tenant, _fields(request.form), actor=current_user), refused=shown_by_page)
    if not added:
        err = added.refusal
        return _page(err.status if err.status < 500 else 400, values=request.form, error=str(err))
    flash(_("Link “%(title)s” is published.", title=added.value.title), "success")
    return redirect(url_for(".links"), 303)


@bp.route("/<tenant>/links/<int:link_id>", methods=["GET", "POST"])
@staff_required()
def edit_link(link_id: int):
    try:
        link = services.find_link(g.tenant, link_id)
        if request.method == "GET":
            values = {"gtin": queries.gtin_of(link.model_id), "scope": link.scope.value, "lot": link.lot or "", "link_type": link.link_type,
                      "target": link.target, "title": link.title, "language": link.language,
                      "media_type": link.media_type, "context": link.context,
                      "is_default": "on" if link.is_default else ""}
            return _page(editing=link, values=values)
        services.update_link(g.tenant, link_id, _fields(request.form), actor=current_user)
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            return _page(404, error=str(err))
        return _page(err.status, editing=services.find_link(g.tenant, link_id), values=request.form, error=str(err))
    db.session.commit()
    flash(_("Link saved."), "success")
    return redirect(url_for(".links"), 303)


@bp.post("/<tenant>/links/<int:link_id>/retire")
@staff_required()
def retire_link(link_id: int):
    retired = attempt(lambda: services.retire_link(g.tenant, link_id, actor=current_user), refused=shown_by_page)
    if not retired:
        return _page(retired.refusal.status, error=str(retired.refusal))
    flash(_("Link “%(title)s” is retired: its type now answers 410 Gone where it was the only one.",
            title=retired.value.title), "success")
    return redirect(url_for(".links"), 303)


@bp.post("/<tenant>/links/import")
@staff_required()
def import_links():
    upload = request.files.get("file")
    data = upload.read(MAX_CSV_BYTES + 1) if upload else b""
    if not data or len(data) > MAX_CSV_BYTES:
        return _page(400, error=_("Choose a CSV file of up to 2 MB."))
    try:
        report = services.import_links_csv(g.tenant, data, actor=current_user)
    except (DomainError, UnicodeDecodeError) as err:
        db.session.rollback()
        return _page(400, error=str(err) if isinstance(err, DomainError) else _("The file is not UTF-8 text."))
    db.session.commit()
    return _page(200 if not report.rejected else 422, import_report=report)
