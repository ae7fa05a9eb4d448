"""Warranty reserve forecast: expected claims and their cost over the next 12 months, per model and cohort,
with a band around them and a backtest of the same method over the last 6 months.

From the failure curves (portal.insights.failures) comes, per model, the claim rate at each month in
service: failure claims at that age ÷ units observed at that age. An age the model has not reached yet
borrows the rate of every model together at that age, and past every observed age the average rate (all
failure claims ÷ all unit-months observed).
Each unit sold before the report's month and under coverage in a coming month adds its model's rate at
the age it will have then. Coverage follows the model's terms in whole months: the base term of the
model's warranty months starts in the month of sale (terms counting from purchase), of first registration
(from registration) or of manufacture plus the grace days (from manufacture); an extension lasts until its
own end if that is later. A unit that is not sold or not registered yet (under registration terms) adds
nothing. The cost of a claim is the average over outcomes (repair, replacement, refund) weighted by how the
tenant's decided claims ended; each outcome is priced at the average cost the claims desk recorded when
closing such claims, or, for an outcome with no recorded cost yet, at the figure entered on the page.

The band is a 90 % interval around the expected count λ: claims arrive at random (variance λ) and the rates
are themselves estimated from K past claims (relative variance 1 ÷ K), so σ² = λ + λ² ÷ K and the band
is λ ± 1.645 σ, never below zero.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct, func, select

from portal.extensions import db
from portal.insights.facts import EVERYTHING, Filters, facts, names
from portal.insights.failures import Life, Observed, life
from portal.insights.sql import month_label
from portal.warranty.models import ClaimEntry, WarrantyClaim

Z90 = 1.645
OUTCOMES = {"repaired": "repair", "replaced": "replacement", "refunded": "refund"}
HORIZON, BACKTEST = 12, 6


@dataclass(frozen=True)
class Month:
    month: str
    expected: float
    low: float
    high: float
    actual: int | None = None


@dataclass(frozen=True)
class Row:
    model: str
    cohort: str  # month of sale
    units: int  # units of the cohort under cover in at least one coming month
    expected: float


@dataclass(frozen=True)
class Backtest:
    months: tuple[Month, ...]

    @property
    def expected(self) -> float:
        return sum(m.expected for m in self.months)

    @property
    def actual(self) -> int:
        return sum(m.actual or 0 for m in self.months)

    @property
    def error(self) -> float:
        """Actual − forecast claims over the backtest's months."""
        return self.actual - self.expected

    @property
    def error_share(self) -> float | None:
        return self.error / self.expected if self.expected else None


@dataclass(frozen=True)
class Forecast:
    as_of: date
    months: tuple[Month, ...]
    rows: tuple[Row, ...]
    training_claims: int
    outcome_mix: dict[str, float]
    costs: dict[str, float]  # the cost of a claim per outcome: recorded average, else the entered figure
    backtest: Backtest
    outcomes: Outcomes | None = None

    def cost_source(self, outcome: str) -> str:
        """'recorded' when the claims desk's costs price this outcome, 'entered' for the fallback figure."""
        return "recorded" if self.outcomes and outcome in self.outcomes.recorded else "entered"

    @property
    def expected(self) -> float:
        return sum(m.expected for m in self.months)

    @property
    def band(self) -> tuple[float, float]:
        return _band(self.expected, self.training_claims)

    @property
    def cost_per_claim(self) -> float:
        return sum(self.outcome_mix[o] * self.costs.get(o, 0) for o in self.outcome_mix)

    @property
    def cost(self) -> tuple[float, float, float]:
        low, high = self.band
        k = self.cost_per_claim
        return self.expected * k, low * k, high * k


def _band(expected: float, claims: int) -> tuple[float, float]:
    if not claims:
        return expected, expected
    sigma = math.sqrt(expected + expected * expected / claims)
    return max(expected - Z90 * sigma, 0.0), expected + Z90 * sigma


def rates(observed: Observed, model: int, pooled: dict[int, float], last: float):
    own = {m: c / e for m, (e, c) in observed.exposure(model).items() if e}

    def rate(age: int) -> float:
        return own[age] if age in own else pooled.get(age, last)

    return rate


def expected_claims(found: Life, models: dict[int, str], horizon: int):
    """Per coming month (found.cutoff … + horizon − 1) the expected claims, rows per model and cohort,
    and the number of past claims the rates rest on."""
    cutoff = found.cutoff
    observed = found.observed()
    everything = observed.exposure()
    pooled = {m: c / e for m, (e, c) in everything.items() if e}
    training = sum(c for _, c in everything.values())
    exposure = sum(e for e, _ in everything.values())
    last = training / exposure if exposure else 0.0  # past every observed age: the average rate
    in_force: dict[tuple[int, int, int, int], int] = defaultdict(int)
    for (model, _, sold_m, _, start, end), n in found.units.items():
        if start is not None and end is not None and end > cutoff:
            in_force[(model, sold_m, start, end)] += n
    per_month = [0.0] * horizon
    rows: dict[tuple[int, int], list] = {}
    model_rates: dict[int, object] = {}
    for (model, sold_m, start, end), n in in_force.items():
        rate = model_rates.setdefault(model, rates(observed, model, pooled, last))
        row = rows.setdefault((model, sold_m), [0, 0.0])
        row[0] += n
        for i in range(horizon):
            month = cutoff + i
            if start <= month < end:
                e = n * rate(month - sold_m)
                per_month[i] += e
                row[1] += e
    table = sorted((Row(models.get(m, "?"), month_label(s), n, e) for (m, s), (n, e) in rows.items()),
                   key=lambda r: (r.model, r.cohort))
    return per_month, tuple(table), training


@dataclass(frozen=True)
class Outcomes:
    """How the tenant's decided claims ended, and what the closed ones cost (recorded by the claims desk)."""

    mix: dict[str, float]  # outcome -> share of the decided claims
    recorded: dict[str, tuple[float, int]]  # outcome -> (average cost, claims with a cost), in `currency`
    currency: str
    other_currencies: int  # costed claims left out: recorded in another currency


def outcomes(manufacturer_id: int, filters: Filters) -> Outcomes:
    """One grouped statement over the claims that reached repaired, replaced or refunded: how many, and
    the costs the desk recorded on closing them, by currency. The averages are in the currency most
    claims were costed in; a claim costed in another one is left out of them (and counted)."""
    stmt = (select(ClaimEntry.to_state, WarrantyClaim.cost_currency, func.count(distinct(ClaimEntry.claim_id)),
                   func.sum(WarrantyClaim.cost_amount), func.count(WarrantyClaim.cost_amount))
            .join(WarrantyClaim, WarrantyClaim.id == ClaimEntry.claim_id)
            .where(WarrantyClaim.manufacturer_id == manufacturer_id, ClaimEntry.kind == "state",
                   ClaimEntry.to_state.in_(list(OUTCOMES)))
            .group_by(ClaimEntry.to_state, WarrantyClaim.cost_currency))
    if filters.active:  # only the claims of units that pass the filters
        f = facts(manufacturer_id, filters)
        stmt = stmt.join(f, f.c.unit_id == WarrantyClaim.unit_id)
    counted: dict[str, int] = defaultdict(int)
    costs: dict[tuple[str, str], tuple[float, int]] = {}
    per_currency: dict[str, int] = defaultdict(int)
    for state, currency, n, total, costed in db.session.execute(stmt):
        counted[state] += n
        if currency and costed:
            costs[(state, currency)] = (float(total or 0), costed)
            per_currency[currency] += costed
    total = sum(counted.values())
    mix = ({OUTCOMES[s]: counted.get(s, 0) / total for s in OUTCOMES} if total
           else {"repair": 1.0, "replacement": 0.0, "refund": 0.0})
    currency = max(sorted(per_currency), key=lambda c: per_currency[c]) if per_currency else ""
    recorded = {OUTCOMES[s]: (amount / n, n) for (s, c), (amount, n) in costs.items() if c == currency}
    return Outcomes(mix, recorded, currency, sum(n for c, n in per_currency.items() if c != currency))


def outcome_mix(manufacturer_id: int, filters: Filters) -> dict[str, float]:
    """Share of each outcome among the decided claims (none decided yet: all repairs)."""
    return outcomes(manufacturer_id, filters).mix


def _months(per_month: list[float], cutoff: int, claims: int, actual: dict[int, int] | None = None):
    return tuple(Month(month_label(cutoff + i), e, *_band(e, claims),
                       None if actual is None else actual.get(cutoff + i, 0)) for i, e in enumerate(per_month))


def forecast(manufacturer_id: int, filters: Filters = EVERYTHING, *, costs: dict[str, float],
             as_of: date | None = None) -> Forecast:
    """Two statements for the units and claims (portal.insights.failures.life) and one for the outcomes;
    the backtest re-reads the same rows as they were six months ago."""
    today = as_of or date.today()
    cutoff = today.year * 12 + today.month - 1
    found = life(manufacturer_id, filters, cutoff)
    models, _ = names(manufacturer_id)
    per_month, rows, training = expected_claims(found, models, HORIZON)
    start = cutoff - BACKTEST
    back, _, back_training = expected_claims(found.before(start), models, BACKTEST)
    actual: dict[int, int] = defaultdict(int)
    for (_, sold_m, claim_m), n in found.claims.items():
        if sold_m < start <= claim_m:
            actual[claim_m] += n
    ended = outcomes(manufacturer_id, filters)
    # A recorded average replaces the entered figure of its outcome; the entered ones are the fallback.
    used = {o: ended.recorded[o][0] if o in ended.recorded else float(v) for o, v in costs.items()}
    return Forecast(today, _months(per_month, cutoff, training), rows, training, ended.mix, used,
                    Backtest(_months(back, start, back_training, actual)), ended)


def csv_rows(report: Forecast) -> list[list]:
    rows: list[list] = [["table", "model", "month_or_cohort", "units", "expected_claims", "low_90", "high_90",
                         "actual_claims", "expected_cost"]]
    k = report.cost_per_claim
    rows += [["forecast_month", "", m.month, "", f"{m.expected:.2f}", f"{m.low:.2f}", f"{m.high:.2f}", "",
              f"{m.expected * k:.2f}"] for m in report.months]
    rows += [["forecast_cohort", r.model, r.cohort, r.units, f"{r.expected:.2f}", "", "", "",
              f"{r.expected * k:.2f}"] for r in report.rows]
    rows += [["backtest_month", "", m.month, "", f"{m.expected:.2f}", f"{m.low:.2f}", f"{m.high:.2f}", m.actual,
              ""] for m in report.backtest.months]
    rows += [["outcome_cost", o, report.cost_source(o),
              report.outcomes.recorded[o][1] if report.cost_source(o) == "recorded" else "", f"{share:.4f}", "", "",
              "", f"{report.costs.get(o, 0):.2f}"] for o, share in report.outcome_mix.items()]
    return rows
