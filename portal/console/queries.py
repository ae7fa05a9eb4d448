"""The reads behind the console's pages (docs/architecture.md, "Reads and writes"): each returns a plain
dataclass of what its page shows. Tenant data is reached through `portal.accounts.tenancy` (invariant 1)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from flask import g
from sqlalchemy import func, select

from portal.accounts.models import SecondFactor, StaffMembership, User
from portal.accounts.tenancy import PAGE, scoped, scoped_count
from portal.authenticity.models import CounterfeitReport, Label
from portal.catalog.models import Disposition, Lot, Manufacturer, ProductModel, Unit, UnitEvent
from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.ownership.models import Ownership, OwnershipDispute


@dataclass(frozen=True)
class HomeCounts:
    models: int
    units: int
    registered: int
    stolen: int
    reports: int
    disputes: int


class ModelRow(NamedTuple):
    model: ProductModel
    units: int


class LotRow(NamedTuple):
    lot: Lot
    units: int


@dataclass(frozen=True)
class ModelDetail:
    lots: list[LotRow]
    total: int


@dataclass(frozen=True)
class Page:
    """One page of a list, and the key of the next page (None on the last)."""
    items: list
    next_key: int | None


@dataclass(frozen=True)
class UnitRecord:
    ownerships: list[Ownership]
    events: list[UnitEvent]
    disputes: list[OwnershipDispute]
    labels: list[Label]


@dataclass(frozen=True)
class Team:
    members: list[StaffMembership]
    enrolled: set[int]


def memberships_of(user_id: int) -> list[StaffMembership]:
    return list(db.session.scalars(select(StaffMembership).where(StaffMembership.user_id == user_id)))


def home_counts() -> HomeCounts:
    return HomeCounts(
        models=db.session.scalar(scoped_count(ProductModel)),
        units=db.session.scalar(scoped_count(Unit)),
        registered=db.session.scalar(
            scoped_count(Unit).join(Ownership, Ownership.unit_id == Unit.id).where(Ownership.is_current)),
        stolen=db.session.scalar(scoped_count(Unit).where(Unit.status == Disposition.STOLEN)),
        reports=db.session.scalar(scoped_count(CounterfeitReport)),
        disputes=db.session.scalar(
            scoped_count(Unit).join(OwnershipDispute, OwnershipDispute.unit_id == Unit.id)
            .where(OwnershipDispute.resolved_at.is_(None))),
    )


def recent_audit(limit: int = 8) -> list[AuditEntry]:
    return with_actors(list(db.session.scalars(scoped(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))))


def model_rows() -> list[ModelRow]:
    """The tenant's models with their unit counts, by name: one grouped count, joined once."""
    unit_counts = (select(Unit.model_id, func.count().label("n")).where(Unit.manufacturer_id == g.tenant.id)
                   .group_by(Unit.model_id).subquery())
    rows = db.session.execute(
        scoped(ProductModel).add_columns(func.coalesce(unit_counts.c.n, 0))
        .outerjoin(unit_counts, unit_counts.c.model_id == ProductModel.id).order_by(ProductModel.name))
    return [ModelRow(model, n) for model, n in rows]


def model_detail(product: ProductModel) -> ModelDetail:
    lots = db.session.execute(
        select(Lot, func.count(Unit.id)).outerjoin(Unit, Unit.lot_id == Lot.id)
        .where(Lot.model_id == product.id).group_by(Lot.id).order_by(Lot.code))
    return ModelDetail(lots=[LotRow(lot, n) for lot, n in lots],
                       total=db.session.scalar(scoped_count(Unit).where(Unit.model_id == product.id)))


def unit_page(serial_prefix: str, after: int) -> Page:
    """Units by id after `after`, whose serial starts with `serial_prefix` (when given)."""
    stmt = scoped(Unit).where(Unit.id > after).order_by(Unit.id).limit(PAGE + 1)
    if serial_prefix:
        stmt = stmt.where(Unit.serial.startswith(serial_prefix, autoescape=True))
    found = list(db.session.scalars(stmt))
    return Page(found[:PAGE], found[PAGE - 1].id if len(found) > PAGE else None)


def unit_record(unit: Unit) -> UnitRecord:
    return UnitRecord(
        ownerships=list(db.session.scalars(select(Ownership).where(Ownership.unit_id == unit.id)
                                           .order_by(Ownership.since.desc()))),
        events=list(db.session.scalars(select(UnitEvent).where(UnitEvent.unit_id == unit.id)
                                       .order_by(UnitEvent.occurred_at.desc(), UnitEvent.id.desc()))),
        disputes=list(db.session.scalars(select(OwnershipDispute).where(OwnershipDispute.unit_id == unit.id))),
        labels=list(db.session.scalars(select(Label).where(Label.unit_id == unit.id).order_by(Label.number))),
    )


def current_ownership_of(unit: Unit) -> Ownership | None:
    return db.session.scalar(select(Ownership).where(Ownership.unit_id == unit.id, Ownership.is_current))


def team() -> Team:
    members = list(db.session.scalars(scoped(StaffMembership).order_by(StaffMembership.created_at)))
    enrolled = set(db.session.scalars(select(SecondFactor.user_id).where(
        SecondFactor.user_id.in_([m.user_id for m in members]))))
    return Team(members, enrolled)


def disputes() -> list[OwnershipDispute]:
    return list(db.session.scalars(
        select(OwnershipDispute).join(Unit, Unit.id == OwnershipDispute.unit_id)
        .where(Unit.manufacturer_id == g.tenant.id).order_by(OwnershipDispute.created_at.desc())))


def audit_page(before: int | None) -> Page:
    """The tenant's audit entries, newest first, before the entry `before` (when given), actors loaded."""
    stmt = scoped(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE + 1)
    if before:
        stmt = stmt.where(AuditEntry.id < before)
    entries = with_actors(list(db.session.scalars(stmt)))
    return Page(entries[:PAGE], entries[PAGE - 1].id if len(entries) > PAGE else None)


def with_actors(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Load the accounts behind a page of audit entries in one query, instead of one per row."""
    ids = {e.actor_id for e in entries if e.actor_id}
    g.audit_actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return entries


def tenant_rows(model, *order_by, limit: int | None = None) -> list:
    """The current tenant's rows of `model` (a tenant table: keys, label runs, alerts, reports, imports) in
    the given order, at most `limit` of them."""
    stmt = scoped(model).order_by(*order_by)
    return list(db.session.scalars(stmt.limit(limit) if limit else stmt))


def labels_of(unit_id: int) -> list[Label]:
    return list(db.session.scalars(select(Label).where(Label.unit_id == unit_id).order_by(Label.number)))


def all_tenants() -> list[Manufacturer]:
    """Every tenant, by name: the platform admin's list."""
    return list(db.session.scalars(select(Manufacturer).order_by(Manufacturer.name)))
