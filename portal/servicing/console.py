"""Console pages of service history (on the console blueprint): record a service, list the recent ones, open
a document. Service partners open these and nothing else of the console (accounts.tenancy.PARTNER_PAGES)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.models import Role
from portal.accounts.tenancy import console as bp
from portal.accounts.tenancy import open_to_partners, staff_required, tenant_scoped
from portal.core.errors import DomainError
from portal.core.storage import send_private, store_proof
from portal.core.work import attempt, on_field
from portal.servicing import models, queries, services
from portal.servicing.forms import ServiceForm


def _page(form: ServiceForm, status: int = 200):
    partner = g.membership.role is Role.SERVICE_PARTNER
    entries = queries.recent_entries(current_user.id if partner else None)
    may_record = g.membership.role in services.RECORDING_ROLES
    return render_template("servicing/console.html", form=form, entries=entries, may_record=may_record,
                           partner=partner), status


@open_to_partners
@bp.get("/<tenant>/services")
def services_page():
    return _page(ServiceForm())


@open_to_partners
@bp.post("/<tenant>/services")
@staff_required(Role.SERVICE_PARTNER)
def record_service():
    form = ServiceForm()
    if not form.validate_on_submit():
        return _page(form, 400)

    def work():
        unit = services.unit_of_tenant(g.tenant, form.gtin.data, form.serial.data)
        upload = form.document.data
        document = store_proof(upload.read(), upload.filename) if upload and upload.filename else None
        return services.record_service(unit, actor=current_user, performed_on=form.performed_on.data,
                                       kind=form.kind.data, centre=form.centre.data, notes=form.notes.data or "",
                                       part_serial=form.part_serial.data, document=document)

    def show(err: DomainError) -> None:
        if err.field == "proof":  # the upload check names its own field
            err.field = "document"
        on_field(form, form.serial)(err)

    recorded = attempt(work, refused=show)
    if not recorded:
        return _page(form, recorded.refusal.status)
    unit = recorded.value.unit
    flash(_("Service recorded on %(product)s %(serial)s.", product=unit.model.name, serial=unit.serial), "success")
    return redirect(url_for(".services_page"))


@open_to_partners
@bp.get("/<tenant>/services/<int:service_id>/document")
def service_document(service_id: int):
    entry = tenant_scoped(models.ServiceEntry, id=service_id)
    if g.membership.role is Role.SERVICE_PARTNER and entry.recorded_by_id != current_user.id:
        abort(404)
    return send_document(entry)


def send_document(entry: models.ServiceEntry):
    return send_private(entry.document_key, entry.document_mime, entry.document_name)
