"""Failure curves: claims by months in service (the warranty "Nevada" table), and survival and hazard to the
first claim, with units still in service without a claim censored rather than counted as survivors forever.

Months are calendar months. A unit enters service in the month of its sale (portal.insights.facts); a claim
filed in month c on a unit in service since month s is a claim at c − s months in service (0: the month
of sale). Only complete months count: the report's own month is not yet observed, so a cohort sold in month
s is observed for months in service 0 … C − 1 − s, where C is the report's month. A claim counts as a
failure unless it was withdrawn or rejected.

Survival is the Kaplan-Meier product over those months: at month m, n units are at risk (their first claim
or their censoring is at m or later), d of them file their first claim, h = d ÷ n and S(m) = S(m − 1) × (1 − h).
A unit without a claim is censored at its last observed month. The counts come from one grouped query;
the product over at most a few dozen months is done in Python.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, literal, select

from portal.catalog.models import ProductModel, Unit
from portal.extensions import db
from portal.insights.facts import EVERYTHING, Filters, facts, names
from portal.insights.sql import month_label, month_number
from portal.warranty.models import ClaimState, ExtendedCoverage, WarrantyClaim, WarrantyTerms

#: Claims that are no failure of the product: the owner took it back, or the desk found nothing to cover.
NOT_FAILURES = (ClaimState.WITHDRAWN, ClaimState.REJECTED)
#: Cohorts (months of sale) shown in the Nevada table, and months in service shown.
NEVADA_COHORTS, NEVADA_MONTHS = 18, 24


def month_start(number: int) -> date:
    return date(number // 12, number % 12 + 1, 1)


def failure_claims(manufacturer_id: int, cutoff: int):
    """Claims counted as failures, filed before month `cutoff`: unit_id, claim_m (month number)."""
    filed = month_number(WarrantyClaim.created_at, timestamp=True)
    return (select(WarrantyClaim.unit_id, filed.label("claim_m"))
            .where(WarrantyClaim.manufacturer_id == manufacturer_id, WarrantyClaim.state.not_in(NOT_FAILURES),
                   filed < cutoff).subquery("claims"))


@dataclass(frozen=True)
class Observed:
    """Per model: units per month of sale, and failure claims per (month of sale, months in service)."""

    cutoff: int
    units: dict[int, dict[int, int]]  # model id -> sale month -> units
    claims: dict[int, dict[tuple[int, int], int]]  # model id -> (sale month, months in service) -> claims

    def exposure(self, model: int | None = None) -> dict[int, tuple[int, int]]:
        """months in service -> (units observed at that age, claims at that age); model None: every model."""
        keys = [model] if model is not None else list(self.units)
        out: dict[int, tuple[int, int]] = {}
        for k in keys:
            for s, n in self.units.get(k, {}).items():
                for m in range(self.cutoff - s):
                    e, c = out.get(m, (0, 0))
                    out[m] = (e + n, c)
            for (_, m), c in self.claims.get(k, {}).items():
                e, c0 = out.get(m, (0, 0))
                out[m] = (e, c0 + c)
        return out


@dataclass(frozen=True)
class Life:
    """A tenant's units in service and their failure claims, as of a month: the rows every failure figure
    and the forecast are summed from."""

    cutoff: int
    #: (model id, lot id, sale month, first claim month or None, cover start month, cover end month) -> units
    units: dict[tuple, int]
    #: (model id, sale month, claim month) -> failure claims
    claims: dict[tuple[int, int, int], int]

    def before(self, cutoff: int) -> Life:
        """The same, as it was known before an earlier month (for the backtest)."""
        units: dict[tuple, int] = defaultdict(int)
        for (model, lot, s, first, start, end), n in self.units.items():
            if s < cutoff:
                units[(model, lot, s, first if first is not None and first < cutoff else None, start, end)] += n
        claims = {k: n for k, n in self.claims.items() if k[1] < cutoff and k[2] < cutoff}
        return Life(cutoff, dict(units), claims)

    def observed(self) -> Observed:
        units: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for (model, _, s, _, _, _), n in self.units.items():
            units[model][s] += n
        claims: dict[int, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
        for (model, s, c), n in self.claims.items():
            claims[model][(s, max(c - s, 0))] += n  # a claim dated before the sale counts in the month of sale
        return Observed(self.cutoff, {k: dict(v) for k, v in units.items()}, {k: dict(v) for k, v in claims.items()})


def life(manufacturer_id: int, filters: Filters, cutoff: int) -> Life:
    """One statement: the units, each with the months it had failure claims in (a unit without a claim once,
    with a null month), grouped by model, lot, month of sale, month of first claim, months of cover and
    month filed; `units` counts each unit in its first-claim (or claimless) group only, `n` sums claims."""
    f = facts(manufacturer_id, filters, before=month_start(cutoff))
    claimed = failure_claims(manufacturer_id, cutoff)
    # One row per unit and month it had claims in: joined to the units, a group then holds each unit once,
    # so count(*) counts units and the groups hash (a count of distinct units would sort 200,000 rows).
    c = (select(claimed.c.unit_id, claimed.c.claim_m, func.count().label("n"))
         .group_by(claimed.c.unit_id, claimed.c.claim_m).subquery("claim_months"))
    first = select(c.c.unit_id, func.min(c.c.claim_m).label("first_m")).group_by(c.c.unit_id).subquery("first")
    t = WarrantyTerms
    clock = func.coalesce(t.clock_start, literal("purchase"))
    # Whole months of grace (integer division: a fractional month would make every key numeric, and slow)
    start = case((clock == "manufacture", f.c.made_m + func.coalesce(t.grace_days, 90) // 30),
                 (clock == "registration", f.c.registered_m), else_=f.c.sold_m)
    ext = (select(ExtendedCoverage.unit_id,
                  func.max(month_number(ExtendedCoverage.starts_on) + ExtendedCoverage.months).label("until"))
           .join(Unit, Unit.id == ExtendedCoverage.unit_id).where(Unit.manufacturer_id == manufacturer_id)
           .group_by(ExtendedCoverage.unit_id).subquery("ext"))
    base_end = start + ProductModel.warranty_months
    end = case((ext.c.until > base_end, ext.c.until), else_=base_end)
    key = (f.c.model_id, f.c.lot_id, f.c.sold_m, first.c.first_m, start, end, c.c.claim_m)
    units: dict[tuple, int] = defaultdict(int)
    claims: dict[tuple[int, int, int], int] = defaultdict(int)
    for model, lot, s, first_m, begins, ends, claim_m, n, distinct_units in db.session.execute(
        select(*key, func.sum(c.c.n), func.count())
        .join(ProductModel, ProductModel.id == f.c.model_id)
        .outerjoin(t, t.model_id == f.c.model_id)
        .outerjoin(first, first.c.unit_id == f.c.unit_id)
        .outerjoin(c, c.c.unit_id == f.c.unit_id)
        .outerjoin(ext, ext.c.unit_id == f.c.unit_id)
        .where(f.c.sold_m.is_not(None)).group_by(*key)
    ):
        if claim_m is None or claim_m == first_m:
            units[(model, lot, s, first_m, begins, ends)] += distinct_units
        if claim_m is not None:
            claims[(model, s, claim_m)] += int(n)  # a sum: numeric on PostgreSQL
    return Life(cutoff, dict(units), dict(claims))


@dataclass(frozen=True)
class Nevada:
    cohorts: tuple[str, ...]
    units: tuple[int, ...]
    months: int
    #: cells[i][m]: claims of cohort i at m months in service; None where that month is not yet observed.
    cells: tuple[tuple[int | None, ...], ...]

    def heat(self, row: int, month: int) -> int:
        """0 … 4: how a cell's claim rate (claims ÷ cohort units) compares with the table's highest."""
        rates = [c / n for cells, n in zip(self.cells, self.units, strict=True) for c in cells if c and n]
        value = self.cells[row][month]
        if not rates or not value or not self.units[row]:
            return 0
        return min(4, 1 + int(4 * (value / self.units[row]) / max(rates) - 1e-9))


def nevada(observed: Observed, model: int | None = None) -> Nevada:
    units: dict[int, int] = defaultdict(int)
    claims: dict[tuple[int, int], int] = defaultdict(int)
    for k in ([model] if model is not None else list(observed.units)):
        for s, n in observed.units.get(k, {}).items():
            units[s] += n
        for key, n in observed.claims.get(k, {}).items():
            claims[key] += n
    cohorts = sorted(units)[-NEVADA_COHORTS:]
    width = min(NEVADA_MONTHS, max((observed.cutoff - s for s in cohorts), default=0))
    cells = tuple(tuple(claims.get((s, m), 0) if s + m < observed.cutoff else None for m in range(width))
                  for s in cohorts)
    return Nevada(tuple(month_label(s) for s in cohorts), tuple(units[s] for s in cohorts), width, cells)


@dataclass(frozen=True)
class LifeRow:
    month: int
    at_risk: int
    failures: int
    censored: int
    hazard: float
    survival: float


@dataclass(frozen=True)
class Curve:
    name: str
    units: int
    rows: tuple[LifeRow, ...]

    @property
    def failures(self) -> int:
        return sum(r.failures for r in self.rows)

    def survival_at(self, month: int) -> float | None:
        """S(month), or None past the last observed month."""
        return next((r.survival for r in self.rows if r.month == month), None)


def kaplan_meier(name: str, counts: dict[tuple[int, bool], int]) -> Curve:
    """A curve from (month, failed?) -> units: a unit failed at that month, or was censored there."""
    last = max((m for m, _ in counts), default=-1)
    at_risk = sum(counts.values())
    survival, rows = 1.0, []
    for m in range(last + 1):
        d, c = counts.get((m, True), 0), counts.get((m, False), 0)
        hazard = d / at_risk if at_risk else 0.0
        survival *= 1 - hazard
        rows.append(LifeRow(m, at_risk, d, c, hazard, survival))
        at_risk -= d + c
    return Curve(name, sum(counts.values()), tuple(rows))


@dataclass(frozen=True)
class FailureCurves:
    as_of: date
    nevada: Nevada
    curves: tuple[Curve, ...]  # every unit first, then one per model or lot
    by: str


def failure_curves(manufacturer_id: int, filters: Filters = EVERYTHING, *, as_of: date | None = None,
                   by: str = "model") -> FailureCurves:
    today = as_of or date.today()
    cutoff = today.year * 12 + today.month - 1
    found = life(manufacturer_id, filters, cutoff)
    models, lots = names(manufacturer_id)
    per: dict[object, dict[tuple[int, bool], int]] = defaultdict(lambda: defaultdict(int))
    for (model, lot, s, first, _, _), n in found.units.items():
        time = max((first if first is not None else cutoff - 1) - s, 0)
        per[lot if by == "lot" else model][(time, first is not None)] += n
        per["*"][(time, first is not None)] += n
    label = (lambda k: lots.get(k, "no lot")) if by == "lot" else (lambda k: models.get(k, "?"))
    curves = [kaplan_meier("Every unit", per.pop("*", {}))]
    curves += sorted((kaplan_meier(label(k), v) for k, v in per.items()), key=lambda cv: cv.name)
    return FailureCurves(today, nevada(found.observed()), tuple(curves), by)


def csv_rows(report: FailureCurves) -> list[list]:
    nv = report.nevada
    rows: list[list] = [["table", "name", "month_of_sale_or_curve", "units", "months_in_service", "claims",
                         "at_risk", "censored", "hazard", "survival"]]
    for cohort, units, cells in zip(nv.cohorts, nv.units, nv.cells, strict=True):
        rows += [["nevada", "", cohort, units, m, "" if v is None else v, "", "", "", ""]
                 for m, v in enumerate(cells)]
    for curve in report.curves:
        rows += [["survival", curve.name, "", curve.units, r.month, r.failures, r.at_risk, r.censored,
                  f"{r.hazard:.5f}", f"{r.survival:.5f}"] for r in curve.rows]
    return rows
