"""What every insight reads: one row per unit of a tenant, with its dates as numbers, filtered.

A unit's **sale** is its first retail_selling event recorded by a till or an EPCIS partner (not the event a
registration writes), on that event's UTC date, at the shop the event names. Where no sale was recorded, the
unit counts as sold on its first owner's purchase date, or else on the day it was first registered.
Its **channel** is the shop: the till's, or the retailer the first owner named. A unit built into another
(a battery pack in a bike) is left out: it is sold and registered with its assembly.

Everything is a subquery: each insight groups it in one statement (docs/architecture.md, "Set-based work").
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, literal, or_, select, text
from sqlalchemy.sql import Subquery

from portal.catalog.models import BizStep, Lot, ProductModel, Unit, UnitEvent
from portal.core.errors import Invalid
from portal.extensions import db
from portal.insights.models import RefreshState, UnitFacts
from portal.insights.sql import day_number, day_of, month_number
from portal.ownership.models import Ownership

#: The note `ownership.services.register_unit` writes on the retail_selling event of a registration.
REGISTRATION_NOTE = "Registered by its owner"
#: Statuses of a unit that is still stock (neither gone out of service nor lost).
#: The name of the summary's refresh state (portal.insights.refresh).
SUMMARY = "facts"
IN_STOCK = ("active", "in_progress", "in_transit", "sellable_accessible", "returned")


class BadFilter(Invalid):
    status = 400


@dataclass(frozen=True)
class Filters:
    """The filters every insight page takes; all optional."""

    model: int | None = None
    lot: str = ""
    made_from: date | None = None
    made_to: date | None = None
    sold_from: date | None = None
    sold_to: date | None = None
    channel: str = ""
    country: str = ""  # ISO 3166-1 alpha-2, upper case

    @classmethod
    def from_args(cls, args) -> Filters:
        """Parse a query string; a value that is not what it should be raises BadFilter naming it."""
        values: dict = {}
        raw = (args.get("model") or "").strip()
        if raw:
            if not raw.isdigit() or len(raw) > 9:
                raise BadFilter(_("Choose a model from the list."), field="model")
            values["model"] = int(raw)
        for name in ("lot", "channel"):
            text = (args.get(name) or "").strip()
            if len(text) > 160:
                raise BadFilter(_("The lot is too long.") if name == "lot" else _("The channel is too long."), field=name)
            values[name] = text
        country = (args.get("country") or "").strip().upper()
        if country:
            if len(country) != 2 or not ("A" <= country[0] <= "Z" and "A" <= country[1] <= "Z"):
                raise BadFilter(_("Give the country as its two-letter ISO code (FR, DE, GB …)."), field="country")
            values["country"] = country
        for name in ("made_from", "made_to", "sold_from", "sold_to"):
            text = (args.get(name) or "").strip()
            if text:
                try:
                    values[name] = date.fromisoformat(text)
                except ValueError:
                    raise BadFilter(_("%(value)s is not a date (YYYY-MM-DD).", value=repr(text[:20])), field=name) from None
                if not date(1970, 1, 1) <= values[name] <= date(2200, 1, 1):
                    raise BadFilter(_("Choose a date between 1970 and 2200."), field=name)
        for start, end in (("made_from", "made_to"), ("sold_from", "sold_to")):
            if values.get(start) and values.get(end) and values[start] > values[end]:
                raise BadFilter(_("The window ends before it starts."), field=end)
        return cls(**values)

    def args(self) -> dict:
        """The filters as query arguments (for links and the CSV), without the empty ones."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in (None, ""):
                out[f.name] = value.isoformat() if isinstance(value, date) else value
        return out

    @property
    def active(self) -> bool:
        return bool(self.args())


#: No filter: every unit of the tenant.
EVERYTHING = Filters()


def roomy() -> None:
    """On PostgreSQL, give this transaction's sorts and groupings of a tenant's units room in memory
    (`SET LOCAL` ends with the transaction): at the default 4 MB, grouping 200,000 units spills to disk.
    And no JIT compilation: the plans' costs pass its threshold, and compiling the grouped expressions
    took 1.3 s of the failure curves' 1.7 s at 10,000,000 units (EXPLAIN ANALYZE, docs/performance.md)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
        db.session.execute(text("SET LOCAL jit = off"))


def summary_ready() -> bool:
    """Whether the views read the summary (portal.insights.models): it was built, and the configuration
    does not turn it off (INSIGHT_SUMMARY; the tests compare both ways)."""
    if not current_app.config.get("INSIGHT_SUMMARY", True):
        return False
    return db.session.scalar(select(RefreshState.refreshed_at).where(RefreshState.name == SUMMARY)) is not None


def facts(manufacturer_id: int, filters: Filters = EVERYTHING, *, before: date | None = None) -> Subquery:
    """One row per unit of the tenant that passes `filters`, as known before the day `before` (default: all).

    Columns: unit_id, model_id, lot_id, status, made (day number), made_m (month number), sold, sold_m,
    at_till (1 when a till or partner recorded the sale), channel, country, registered (day number),
    registered_m. Read from the summary when it is built, else from the tables: the same rows either way.
    """
    roomy()
    if summary_ready():
        return _from_summary(manufacturer_id, filters, before)
    return _from_tables(manufacturer_id, filters, before)


def _from_summary(manufacturer_id: int, filters: Filters, before: date | None) -> Subquery:
    u = UnitFacts
    sale_ok = reg_ok = None
    if before is not None:
        sale_ok, reg_ok = u.sale < day_of(before), u.registered < day_of(before)

    def known(ok, value):
        """The value as known before the day `before`: the sale or registration had happened by then."""
        return value if ok is None else case((ok, value), else_=None)

    sold = func.coalesce(known(sale_ok, u.sale), known(reg_ok, u.purchased), known(reg_ok, u.registered))
    sold_m = func.coalesce(known(sale_ok, u.sale_m), known(reg_ok, u.purchased_m), known(reg_ok, u.registered_m))
    channel = func.coalesce(func.nullif(known(sale_ok, u.shop), ""), func.nullif(known(reg_ok, u.retailer), ""),
                            literal(""))
    country = func.coalesce(known(sale_ok, u.sale_country), known(reg_ok, u.owner_country), literal(""))
    stmt = select(u.unit_id, u.model_id, u.lot_id, u.status.label("status"), u.made, u.made_m, sold.label("sold"),
                  sold_m.label("sold_m"), case((known(sale_ok, u.sale).is_not(None), 1), else_=0).label("at_till"),
                  channel.label("channel"), country.label("country"),
                  known(reg_ok, u.registered).label("registered"),
                  known(reg_ok, u.registered_m).label("registered_m")).where(u.manufacturer_id == manufacturer_id)
    if before is not None:
        stmt = stmt.where(or_(u.made.is_(None), u.made < day_of(before)))
    return _filtered(stmt, manufacturer_id, filters, u.model_id, u.lot_id, u.made, sold, channel, country,
                     "facts")


def _from_tables(manufacturer_id: int, filters: Filters, before: date | None) -> Subquery:
    mine = Unit.manufacturer_id == manufacturer_id
    # The tenant's units lie between its lowest and highest unit id (two index lookups): the events and
    # ownerships to read are then a range of their unit_id index, not the whole table, whatever the size of
    # the other tenants. (Implied by the join, so never wrong; only as tight as the ids are close.)
    lowest = select(func.min(Unit.id)).where(mine).scalar_subquery()
    highest = select(func.max(Unit.id)).where(mine).scalar_subquery()
    sale_where = [mine, UnitEvent.unit_id.between(lowest, highest), UnitEvent.biz_step == BizStep.RETAIL_SELLING,
                  UnitEvent.retracted_at.is_(None), UnitEvent.note != REGISTRATION_NOTE]
    reg_where = [mine, Ownership.unit_id.between(lowest, highest)]
    if before is not None:
        sale_where.append(day_number(UnitEvent.occurred_at, timestamp=True) < day_of(before))
        reg_where.append(day_number(Ownership.since, timestamp=True) < day_of(before))
    sale = (select(UnitEvent.unit_id, func.min(UnitEvent.occurred_at).label("at"),
                   func.max(UnitEvent.place).label("shop"), func.max(UnitEvent.country).label("country"))
            .join(Unit, Unit.id == UnitEvent.unit_id).where(*sale_where)
            .group_by(UnitEvent.unit_id).subquery("sale"))
    reg = (select(Ownership.unit_id, func.min(Ownership.since).label("since"),
                  func.min(Ownership.purchased_on).label("purchased_on"),
                  func.max(Ownership.retailer).label("retailer"), func.max(Ownership.country).label("country"))
           .join(Unit, Unit.id == Ownership.unit_id).where(*reg_where)
           .group_by(Ownership.unit_id).subquery("reg"))
    sold = func.coalesce(day_number(sale.c.at, timestamp=True), day_number(reg.c.purchased_on),
                         day_number(reg.c.since, timestamp=True))
    sold_m = func.coalesce(month_number(sale.c.at, timestamp=True), month_number(reg.c.purchased_on),
                           month_number(reg.c.since, timestamp=True))
    channel = func.coalesce(func.nullif(sale.c.shop, ""), func.nullif(reg.c.retailer, ""), literal(""))
    country = func.coalesce(sale.c.country, reg.c.country, literal(""))
    made = day_number(Unit.manufactured_on)
    stmt = (
        select(Unit.id.label("unit_id"), Unit.model_id, Unit.lot_id, Unit.status.label("status"),
               made.label("made"), month_number(Unit.manufactured_on).label("made_m"),
               sold.label("sold"), sold_m.label("sold_m"),
               case((sale.c.unit_id.is_not(None), 1), else_=0).label("at_till"), channel.label("channel"),
               country.label("country"),
               day_number(reg.c.since, timestamp=True).label("registered"),
               month_number(reg.c.since, timestamp=True).label("registered_m"))
        .outerjoin(sale, sale.c.unit_id == Unit.id)
        .outerjoin(reg, reg.c.unit_id == Unit.id)
        .where(mine, Unit.parent_id.is_(None))
    )
    if before is not None:
        stmt = stmt.where(or_(Unit.manufactured_on.is_(None), made < day_of(before)))
    return _filtered(stmt, manufacturer_id, filters, Unit.model_id, Unit.lot_id, made, sold, channel, country, "facts")


def _filtered(stmt, manufacturer_id: int, filters: Filters, model, lot, made, sold, channel, country,
              name: str) -> Subquery:
    if filters.model is not None:
        stmt = stmt.where(model == filters.model)
    if filters.lot:
        stmt = stmt.where(lot.in_(select(Lot.id).join(ProductModel, ProductModel.id == Lot.model_id)
                                  .where(ProductModel.manufacturer_id == manufacturer_id, Lot.code == filters.lot)))
    if filters.made_from:
        stmt = stmt.where(made >= day_of(filters.made_from))
    if filters.made_to:
        stmt = stmt.where(made <= day_of(filters.made_to))
    if filters.sold_from or filters.sold_to:
        window = [sold.is_not(None)]
        if filters.sold_from:
            window.append(sold >= day_of(filters.sold_from))
        if filters.sold_to:
            window.append(sold <= day_of(filters.sold_to))
        stmt = stmt.where(and_(*window))
    if filters.channel:
        stmt = stmt.where(channel == filters.channel)
    if filters.country:
        stmt = stmt.where(country == filters.country)
    return stmt.subquery(name)


def names(manufacturer_id: int) -> tuple[dict[int, str], dict[int, str]]:
    """Model names and lot codes of the tenant, by id (few rows: read once, joined in Python)."""
    models = dict(db.session.execute(select(ProductModel.id, ProductModel.name)
                                     .where(ProductModel.manufacturer_id == manufacturer_id)).all())
    lots = dict(db.session.execute(select(Lot.id, Lot.code).where(Lot.model_id.in_(list(models)))).all()) \
        if models else {}
    return models, lots


@dataclass(frozen=True)
class Choices:
    """What the filter form offers: the tenant's models and lot codes. (Channels come from the report
    shown, where it has them: listing every shop would read every sale again; countries likewise, so the
    country is typed as its code.)"""

    models: tuple[tuple[int, str], ...]
    lots: tuple[str, ...]


def filter_choices(manufacturer_id: int, *, most: int = 300) -> Choices:
    models = db.session.execute(select(ProductModel.id, ProductModel.name)
                                .where(ProductModel.manufacturer_id == manufacturer_id)
                                .order_by(ProductModel.name)).all()
    lots = db.session.scalars(select(Lot.code).join(ProductModel, ProductModel.id == Lot.model_id)
                              .where(ProductModel.manufacturer_id == manufacturer_id).distinct()
                              .order_by(Lot.code).limit(most)).all()
    return Choices(tuple((i, n) for i, n in models), tuple(lots))
