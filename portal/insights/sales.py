"""Sell-through and mix: units sold per month by model and channel, each variant's share, and how much of
each manufacture cohort has sold.

A month is a calendar month of the sale date (portal.insights.facts). The share of a model or channel is its
units sold in the months shown ÷ all units sold in them. A manufacture cohort is the units made in one
calendar month; its sell-through is the share of them sold by the report's day, and its 90-day sell-through
the share sold within 90 days of being made (only cohorts at least 90 days old have one).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select

from portal.extensions import db
from portal.insights.facts import EVERYTHING, Filters, facts, names
from portal.insights.sql import day_of, month_label, month_of


@dataclass(frozen=True)
class Series:
    name: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Share:
    name: str
    units: int
    share: float


@dataclass(frozen=True)
class Cohort:
    month: str
    made: int
    sold: int
    sold_90: int | None  # None while the cohort is younger than 90 days

    @property
    def rate(self) -> float:
        return self.sold / self.made if self.made else 0.0

    @property
    def rate_90(self) -> float | None:
        return None if self.sold_90 is None or not self.made else self.sold_90 / self.made


@dataclass(frozen=True)
class SellThrough:
    as_of: date
    months: tuple[str, ...]
    by_model: tuple[Series, ...]
    by_channel: tuple[Series, ...]
    model_mix: tuple[Share, ...]
    channel_mix: tuple[Share, ...]
    cohorts: tuple[Cohort, ...]

    @property
    def totals(self) -> tuple[int, ...]:
        return tuple(sum(s.counts[i] for s in self.by_model) for i in range(len(self.months)))

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(sorted(s.name for s in self.channel_mix if s.name))


def _series(rows, months: list[int]) -> tuple[Series, ...]:
    found: dict[str, dict[int, int]] = {}
    for name, month, n in rows:
        found.setdefault(name, {})[month] = n
    return tuple(sorted((Series(name, tuple(per.get(m, 0) for m in months)) for name, per in found.items()),
                        key=lambda s: (-s.total, s.name)))


def _mix(series: tuple[Series, ...]) -> tuple[Share, ...]:
    total = sum(s.total for s in series)
    return tuple(Share(s.name, s.total, s.total / total if total else 0.0) for s in series)


def sell_through(manufacturer_id: int, filters: Filters = EVERYTHING, *, as_of: date | None = None,
                 months: int = 12) -> SellThrough:
    """One grouped statement (by model, channel, month of sale, month of manufacture and whether the unit
    sold within 90 days); the series, the mix and the cohorts are sums of its rows."""
    today = as_of or date.today()
    f = facts(manufacturer_id, filters, before=today + timedelta(days=1))
    models, _ = names(manufacturer_id)
    last = month_of(today)
    shown = list(range(last - months + 1, last + 1))
    quick = case((f.c.sold - f.c.made <= 90, 1), else_=0)
    per_model: dict[tuple[str, int], int] = defaultdict(int)
    per_channel: dict[tuple[str, int], int] = defaultdict(int)
    made: dict[int, list[int]] = {}  # month of manufacture -> [made, sold, sold within 90 days, newest day]
    for model, channel, sold_m, made_m, fast, n, sold, newest in db.session.execute(
        select(f.c.model_id, f.c.channel, f.c.sold_m, f.c.made_m, quick, func.count(), func.count(f.c.sold),
               func.max(f.c.made))
        .group_by(f.c.model_id, f.c.channel, f.c.sold_m, f.c.made_m, quick)
    ):
        if sold_m is not None and shown[0] <= sold_m <= last:
            per_model[(models.get(model, "?"), sold_m)] += n
            per_channel[(channel, sold_m)] += n
        if made_m is not None:
            cohort = made.setdefault(made_m, [0, 0, 0, newest])
            cohort[0] += n
            cohort[1] += sold
            cohort[2] += sold if fast else 0
            cohort[3] = max(cohort[3], newest)
    by_model = _series([(k, m, n) for (k, m), n in per_model.items()], shown)
    by_channel = _series([(k, m, n) for (k, m), n in per_channel.items()], shown)
    cohorts = tuple(Cohort(month_label(m), n, sold, quick_sold if day_of(today) - newest >= 90 else None)
                    for m, (n, sold, quick_sold, newest) in sorted(made.items()))
    return SellThrough(as_of=today, months=tuple(month_label(m) for m in shown), by_model=by_model,
                       by_channel=by_channel, model_mix=_mix(by_model), channel_mix=_mix(by_channel),
                       cohorts=cohorts)


def csv_rows(report: SellThrough) -> list[list]:
    rows: list[list] = [["table", "name", "month", "units", "share_or_rate", "rate_90_days", "made"]]
    for table, series in (("sold_by_model", report.by_model), ("sold_by_channel", report.by_channel)):
        for s in series:
            rows += [[table, s.name, month, n, "", "", ""] for month, n in zip(report.months, s.counts, strict=True)]
    rows += [["model_mix", s.name, "", s.units, f"{s.share:.4f}", "", ""] for s in report.model_mix]
    rows += [["channel_mix", s.name, "", s.units, f"{s.share:.4f}", "", ""] for s in report.channel_mix]
    rows += [["cohort", "", c.month, c.sold, f"{c.rate:.4f}", "" if c.rate_90 is None else f"{c.rate_90:.4f}",
              c.made] for c in report.cohorts]
    return rows
