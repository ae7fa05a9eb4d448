"""Console pages for a model's warranty terms and a unit's extended coverage (admins)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.tenancy import console as bp
from portal.accounts.tenancy import staff_required, tenant_scoped
from portal.catalog.models import ProductModel, Unit
from portal.extensions import db
from portal.warranty import services
from portal.warranty.console import Problem, _claim_page
from portal.warranty.coverage import terms_for
from portal.warranty.forms import ExtensionForm, TermsForm
from portal.warranty.models import WarrantyClaim


def _scope_checked(form) -> bool:
    if not form.scope.data:
        form.scope.errors = [*form.scope.errors, "Tick at least one."]
        return False
    return True


@bp.route("/<tenant>/models/<int:model_id>/warranty", methods=["GET", "POST"])
@staff_required()
def model_warranty(model_id: int):
    product = tenant_scoped(ProductModel, id=model_id)
    terms = terms_for(product)
    form = TermsForm(
        data={
            "clock_start": terms.clock_start.value,
            "grace_days": terms.grace_days,
            "survives_transfer": terms.survives_transfer,
            "replacement_rule": terms.replacement_rule.value,
            "scope": [s for s in terms.scope.split(",") if s],
        }
    )  # a POST's fields win over these
    if form.validate_on_submit() and _scope_checked(form):
        services.save_terms(
            product,
            clock_start=form.clock_start.data,
            grace_days=form.grace_days.data,
            survives_transfer=form.survives_transfer.data,
            replacement_rule=form.replacement_rule.data,
            scope=form.scope.data,
            actor=current_user,
        )
        db.session.commit()
        flash(f"Warranty terms of {product.name} saved. Coverage answers use them from now on.", "success")
        return redirect(url_for(".model_warranty", model_id=model_id), 303)
    return render_template(
        "warranty/console_terms.html", product=product, form=form, saved=terms.id is not None
    ), 400 if form.errors else 200


@bp.post("/<tenant>/units/<int:unit_id>/extensions")
@staff_required()
def unit_extension(unit_id: int):
    unit = tenant_scoped(Unit, id=unit_id)
    form = ExtensionForm()
    number = request.form.get("claim", "")
    item = tenant_scoped(WarrantyClaim, number=number, unit_id=unit.id) if number else None
    back = url_for(".claim", number=number) if item else url_for(".unit", unit_id=unit_id)
    if form.validate_on_submit() and _scope_checked(form):
        ext = services.add_extension(
            unit,
            starts_on=form.starts_on.data,
            months=form.months.data,
            scope=form.scope.data,
            note=form.note.data or "",
            actor=current_user,
        )
        db.session.commit()
        flash(f"Coverage extended by {ext.months} months from {ext.starts_on:%-d %B %Y}.", "success")
        return redirect(back, 303)
    if item is not None:
        return _claim_page(
            item, 422, Problem("extension", "Check the extension's fields."), extension_form=form
        )
    flash(
        "The extension was not added: " + "; ".join(e for errs in form.errors.values() for e in errs), "error"
    )
    return redirect(back, 303)
