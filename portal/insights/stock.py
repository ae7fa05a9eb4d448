"""Stock age: how old the unsold units are, and how long the sold ones waited before they sold.

Unsold: a unit with no sale and no registration (portal.insights.facts), still in stock by its status (not
destroyed, decommissioned, stolen or recalled), with a manufacture date. Its age is the days from its
manufacture date to the report's day. Age at sale: days from manufacture to sale. Units without a
manufacture date are counted apart (`undated`), in no bucket.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select

from portal.extensions import db
from portal.insights.facts import EVERYTHING, IN_STOCK, Filters, facts, names
from portal.insights.sql import day_of

#: (label, first day) of each age bucket; a bucket runs to the next one's first day.
AGE_BUCKETS = (("0–30 days", 0), ("31–90 days", 31), ("91–180 days", 91), ("181–365 days", 181),
               ("1–1½ years", 366), ("1½–2 years", 548), ("over 2 years", 731))


@dataclass(frozen=True)
class Bucket:
    label: str
    units: int


@dataclass(frozen=True)
class AgeRow:
    """Units of one model, lot or channel, and their age in days (mean, youngest, oldest)."""

    key: str
    model: str
    units: int
    mean_days: float
    min_days: int
    max_days: int


@dataclass(frozen=True)
class StockAge:
    as_of: date
    unsold: tuple[Bucket, ...]
    unsold_by_lot: tuple[AgeRow, ...]
    at_sale: tuple[Bucket, ...]
    at_sale_by_model: tuple[AgeRow, ...]
    at_sale_by_lot: tuple[AgeRow, ...]
    at_sale_by_channel: tuple[AgeRow, ...]
    undated: int

    @property
    def unsold_total(self) -> int:
        return sum(b.units for b in self.unsold)

    @property
    def sold_total(self) -> int:
        return sum(b.units for b in self.at_sale)

    @property
    def mean_days_at_sale(self) -> float:
        sold = sum(r.units for r in self.at_sale_by_model)
        return sum(r.mean_days * r.units for r in self.at_sale_by_model) / sold if sold else 0.0


def _bucket(age):
    """The index of an age's bucket, in SQL."""
    return case(*[(age >= first, i) for i, (_, first) in reversed(list(enumerate(AGE_BUCKETS)))], else_=0)


def _buckets(counts: dict[int, int]) -> tuple[Bucket, ...]:
    return tuple(Bucket(label, counts.get(i, 0)) for i, (label, _) in enumerate(AGE_BUCKETS))


def _rows(stmt, key) -> tuple[AgeRow, ...]:
    return tuple(AgeRow(key(r), r.model, r.n, float(r.mean or 0), int(r.lo), int(r.hi))
                 for r in db.session.execute(stmt))


def stock_age(manufacturer_id: int, filters: Filters = EVERYTHING, *, as_of: date | None = None) -> StockAge:
    today = as_of or date.today()
    f = facts(manufacturer_id, filters, before=today + timedelta(days=1))
    models, lots = names(manufacturer_id)
    unsold_where = (f.c.sold.is_(None), f.c.status.in_(IN_STOCK), f.c.made.is_not(None))
    age = day_of(today) - f.c.made
    bucket = _bucket(age)
    unsold = dict(db.session.execute(select(bucket, func.count()).where(*unsold_where).group_by(bucket)).all())

    def stats(value):
        return func.count().label("n"), func.avg(value).label("mean"), func.min(value).label("lo"), \
            func.max(value).label("hi")

    by_lot = select(f.c.model_id, f.c.lot_id, *stats(age)).where(*unsold_where).group_by(f.c.model_id, f.c.lot_id)
    unsold_by_lot = sorted(
        (AgeRow(lots.get(r.lot_id, "—"), models.get(r.model_id, "?"), r.n, float(r.mean), r.lo, r.hi)
         for r in db.session.execute(by_lot)), key=lambda row: (-row.mean_days, row.model, row.key))

    waited = f.c.sold - f.c.made
    sold_where = (f.c.sold.is_not(None), f.c.made.is_not(None))
    sale_bucket = _bucket(waited)
    at_sale = dict(db.session.execute(select(sale_bucket, func.count()).where(*sold_where)
                                      .group_by(sale_bucket)).all())
    by_model = [AgeRow(models.get(r.model_id, "?"), models.get(r.model_id, "?"), r.n, float(r.mean), r.lo, r.hi)
                for r in db.session.execute(select(f.c.model_id, *stats(waited)).where(*sold_where)
                                            .group_by(f.c.model_id))]
    by_sale_lot = [AgeRow(lots.get(r.lot_id, "—"), models.get(r.model_id, "?"), r.n, float(r.mean), r.lo, r.hi)
                   for r in db.session.execute(select(f.c.model_id, f.c.lot_id, *stats(waited)).where(*sold_where)
                                               .group_by(f.c.model_id, f.c.lot_id))]
    by_channel = [AgeRow(r.channel, "", r.n, float(r.mean), r.lo, r.hi)
                  for r in db.session.execute(select(f.c.channel, *stats(waited)).where(*sold_where)
                                              .group_by(f.c.channel))]
    undated = db.session.scalar(select(func.count()).where(f.c.made.is_(None))) or 0
    return StockAge(
        as_of=today, unsold=_buckets(unsold), unsold_by_lot=tuple(unsold_by_lot), at_sale=_buckets(at_sale),
        at_sale_by_model=tuple(sorted(by_model, key=lambda r: -r.mean_days)),
        at_sale_by_lot=tuple(sorted(by_sale_lot, key=lambda r: (r.model, r.key))),
        at_sale_by_channel=tuple(sorted(by_channel, key=lambda r: -r.units)), undated=undated)


def csv_rows(report: StockAge) -> list[list]:
    rows: list[list] = [["table", "model", "lot_or_channel", "bucket", "units", "mean_days", "min_days",
                         "max_days"]]
    rows += [["unsold_age", "", "", b.label, b.units, "", "", ""] for b in report.unsold]
    rows += [["unsold_by_lot", r.model, r.key, "", r.units, f"{r.mean_days:.1f}", r.min_days, r.max_days]
             for r in report.unsold_by_lot]
    rows += [["age_at_sale", "", "", b.label, b.units, "", "", ""] for b in report.at_sale]
    for table, items in (("at_sale_by_model", report.at_sale_by_model), ("at_sale_by_lot", report.at_sale_by_lot),
                         ("at_sale_by_channel", report.at_sale_by_channel)):
        rows += [[table, r.model if table != "at_sale_by_model" else r.key,
                  r.key if table != "at_sale_by_model" else "", "", r.units, f"{r.mean_days:.1f}", r.min_days,
                  r.max_days] for r in items]
    return rows
