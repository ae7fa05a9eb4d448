"""Stock age: how old the unsold units are, and how long the sold ones waited before they sold.

Unsold: a unit with no sale and no registration (portal.insights.facts), still in stock by its status (not
destroyed, decommissioned, stolen or recalled), with a manufacture date. Its age is the days from its
manufacture date to the report's day. Age at sale: days from manufacture to sale. Units without a
manufacture date are counted apart (`undated`), in no bucket.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, select

from portal.extensions import db
from portal.insights.facts import EVERYTHING, IN_STOCK, Filters, facts, names
from portal.insights.sql import day_of

#: (label, first day) of each age bucket; a bucket runs to the next one's first day.
AGE_BUCKETS = (("0–30 days", 0), ("31–90 days", 31), ("91–180 days", 91), ("181–365 days", 181),
               ("1–1½ years", 366), ("1½–2 years", 548), ("over 2 years", 731))
#: The labels as the pages show them (translated in the templates: the CSV keeps them in English).
AGE_LABELS = (_l("0–30 days"), _l("31–90 days"), _l("91–180 days"), _l("181–365 days"), _l("1–1½ years"),
              _l("1½–2 years"), _l("over 2 years"))


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

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(sorted(r.key for r in self.at_sale_by_channel if r.key))


def _bucket(age):
    """The index of an age's bucket, in SQL."""
    return case(*[(age >= first, i) for i, (_, first) in reversed(list(enumerate(AGE_BUCKETS)))], else_=0)


def _buckets(counts: dict[int, int]) -> tuple[Bucket, ...]:
    return tuple(Bucket(label, counts.get(i, 0)) for i, (label, _) in enumerate(AGE_BUCKETS))


class _Stats:
    """Running count, sum, minimum and maximum of ages, merged from grouped rows."""

    def __init__(self):
        self.n, self.total, self.lo, self.hi = 0, 0, None, None

    def add(self, n: int, total: int, lo: int, hi: int) -> None:
        self.n += n
        self.total += total
        self.lo = lo if self.lo is None else min(self.lo, lo)
        self.hi = hi if self.hi is None else max(self.hi, hi)

    def row(self, key: str, model: str) -> AgeRow:
        return AgeRow(key, model, self.n, self.total / self.n if self.n else 0.0, int(self.lo or 0), int(self.hi or 0))


def stock_age(manufacturer_id: int, filters: Filters = EVERYTHING, *, as_of: date | None = None) -> StockAge:
    """One grouped statement over the tenant's units (by state, model, lot, channel and age bucket); the
    tables are sums of its rows."""
    today = as_of or date.today()
    f = facts(manufacturer_id, filters, before=today + timedelta(days=1))
    models, lots = names(manufacturer_id)
    state = case((f.c.made.is_(None), literal("undated")), (f.c.sold.is_not(None), literal("sold")),
                 (f.c.status.in_(IN_STOCK), literal("unsold")), else_=literal("gone"))
    age = case((f.c.sold.is_not(None), f.c.sold - f.c.made), else_=day_of(today) - f.c.made)
    bucket = _bucket(age)
    rows = db.session.execute(
        select(state, f.c.model_id, f.c.lot_id, f.c.channel, bucket, func.count(), func.sum(age), func.min(age),
               func.max(age))
        .group_by(state, f.c.model_id, f.c.lot_id, f.c.channel, bucket)).all()
    unsold, at_sale = defaultdict(int), defaultdict(int)
    per_lot, per_model, per_sale_lot, per_channel = (defaultdict(_Stats) for _ in range(4))
    undated = 0
    for kind, model, lot, channel, b, n, total, lo, hi in rows:
        if kind == "undated":
            undated += n
        elif kind == "unsold":
            unsold[b] += n
            per_lot[(model, lot)].add(n, total, lo, hi)
        elif kind == "sold":
            at_sale[b] += n
            per_model[model].add(n, total, lo, hi)
            per_sale_lot[(model, lot)].add(n, total, lo, hi)
            per_channel[channel].add(n, total, lo, hi)
    unsold_by_lot = sorted((v.row(lots.get(lot, "—"), models.get(m, "?")) for (m, lot), v in per_lot.items()),
                           key=lambda r: (-r.mean_days, r.model, r.key))
    by_model = sorted((v.row(models.get(m, "?"), models.get(m, "?")) for m, v in per_model.items()),
                      key=lambda r: (-r.mean_days, r.key))
    by_lot = sorted((v.row(lots.get(lot, "—"), models.get(m, "?")) for (m, lot), v in per_sale_lot.items()),
                    key=lambda r: (r.model, r.key))
    by_channel = sorted((v.row(c, "") for c, v in per_channel.items()), key=lambda r: (-r.units, r.key))
    return StockAge(as_of=today, unsold=_buckets(unsold), unsold_by_lot=tuple(unsold_by_lot),
                    at_sale=_buckets(at_sale), at_sale_by_model=tuple(by_model), at_sale_by_lot=tuple(by_lot),
                    at_sale_by_channel=tuple(by_channel), undated=undated)


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
