"""The one way console code reaches tenant data.

The console blueprint resolves `<tenant>` to a manufacturer the signed-in user is staff of, or
answers 404; every query then goes through `scoped()` or `tenant_scoped()`, which add the
manufacturer filter. A record of another tenant therefore answers 404, never 403, never data.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.sql import Select

from portal.extensions import db


def enter_tenant(slug: str) -> None:
    from portal.accounts.models import StaffMembership
    from portal.catalog.models import Manufacturer

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
    from portal.accounts.models import Role

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            role = g.membership.role
            if role is not Role.ADMIN and role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate
