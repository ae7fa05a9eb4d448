"""The console's tenancy: the one console blueprint every area adds its staff pages to, and the way those
pages reach tenant data (docs/architecture.md, "Tenancy").

The console blueprint resolves `<tenant>` to a manufacturer the signed-in user is staff of, or
answers 404; console queries then go through `scoped()` or `tenant_scoped()`, which add the
manufacturer filter. A record of another tenant therefore answers 404, never 403, never data.

The blueprint lives here, below every area that has console pages, so that an area adds its pages without
importing the console face; `portal.console.init_app` registers it once every area has added its pages.
"""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.sql import Select

from portal.accounts.guard import second_factor_gate
from portal.accounts.models import Role, StaffMembership
from portal.catalog.models import Manufacturer
from portal.extensions import db, login_manager

#: The manufacturer console, /console/<tenant>/...: each area's console module adds its pages to it.
console = Blueprint("console", __name__, url_prefix="/console")
#: Rows per page in console lists.
PAGE = 50
#: The console pages a service partner may open (endpoint names, added by the areas that own them through
#: `open_to_partners`); every other console page answers them 403, and the overview sends them to the first.
PARTNER_PAGES: list[str] = []


def open_to_partners(view):
    """Let service partners open this console page too (the role check of the page itself still applies)."""
    endpoint = f"console.{view.__name__}"
    if endpoint not in PARTNER_PAGES:
        PARTNER_PAGES.append(endpoint)
    return view


@console.url_value_preprocessor
def _tenant_from_url(endpoint, values):
    if values and "tenant" in values:
        g.tenant_slug = values.pop("tenant")


@console.url_defaults
def _tenant_into_url(endpoint, values):
    if "tenant" not in values and g.get("tenant_slug") and endpoint != "console.index":
        values["tenant"] = g.tenant_slug


@console.before_request
def _enter():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    gate = second_factor_gate()
    if gate is not None:
        return gate
    if g.get("tenant_slug"):
        enter_tenant(g.tenant_slug)
        if g.membership.role is Role.SERVICE_PARTNER and request.endpoint not in PARTNER_PAGES:
            if request.endpoint == "console.home" and PARTNER_PAGES:
                return redirect(url_for(PARTNER_PAGES[0]))
            abort(403)
    return None


def enter_tenant(slug: str) -> None:
    if not current_user.is_authenticated:
        abort(404)
    row = db.session.execute(
        select(Manufacturer, StaffMembership)
        .join(StaffMembership, StaffMembership.manufacturer_id == Manufacturer.id)
        .where(Manufacturer.slug == slug, StaffMembership.user_id == current_user.id)
    ).first()
    if row is None:
        abort(404)
    g.tenant, g.membership = row


def current_tenant():
    return g.tenant


def scoped(model) -> Select:
    """`select(model)` limited to the current tenant's rows."""
    return select(model).where(model.manufacturer_id == g.tenant.id)


def scoped_count(model) -> Select:
    """`SELECT count(*) FROM model` limited to the current tenant; join and filter further as needed."""
    return select(func.count()).select_from(model).where(model.manufacturer_id == g.tenant.id)


def tenant_scoped(model, **filters):
    """Load one record of the current tenant by its attributes, or 404."""
    stmt = scoped(model).filter_by(**filters)
    found = db.session.scalars(stmt.limit(2)).all()
    if len(found) != 1:
        abort(404)
    return found[0]


def staff_required(*roles):
    """Restrict a console view to the given roles; tenant admins may do everything."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            role = g.membership.role
            if role is not Role.ADMIN and role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate
