"""Console page for the manufacturer's return addresses: one per country owners send from, and a default.

Any staff member sees them (the claims desk tells owners where to send); tenant admins change them."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.tenancy import console as bp
from portal.accounts.tenancy import staff_required
from portal.core.work import attempt, on_field
from portal.warranty import returns
from portal.warranty.forms import RemoveReturnAddressForm, ReturnAddressForm


def _page(form: ReturnAddressForm, status: int = 200):
    return render_template("warranty/console_returns.html", form=form, remove_form=RemoveReturnAddressForm(),
                           addresses=returns.addresses_of(g.tenant.id)), status


@bp.get("/<tenant>/returns")
def return_addresses():
    return _page(ReturnAddressForm())


@bp.post("/<tenant>/returns")
@staff_required()
def save_return_address():
    form = ReturnAddressForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    saved = attempt(lambda: returns.save_address(g.tenant.id, form.country.data, form.lines.data, actor=current_user),
                    refused=on_field(form, form.lines))
    if not saved:
        return _page(form, saved.refusal.status)
    flash(_("Return address saved."), "success")
    return redirect(url_for(".return_addresses"), 303)


@bp.post("/<tenant>/returns/remove")
@staff_required()
def remove_return_address():
    form = RemoveReturnAddressForm()
    if not form.validate_on_submit():
        flash(_("Choose an address to remove."), "error")
        return redirect(url_for(".return_addresses"), 303)
    removed = attempt(lambda: returns.remove_address(g.tenant.id, form.country.data, actor=current_user))
    if removed:
        flash(_("Return address removed."), "success")
    return redirect(url_for(".return_addresses"), 303)
