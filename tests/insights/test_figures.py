"""Every insight figure against the hand-worked shop of tests/support/insights.py (dates and claims listed there)."""
from __future__ import annotations

from datetime import date

import pytest

from portal.insights.facts import Filters
from portal.insights.failures import failure_curves
from portal.insights.forecast import forecast
from portal.insights.reach import reach
from portal.insights.sales import sell_through
from portal.insights.stock import stock_age

JULY = date(2026, 7, 15)


def test_stock_age_buckets_unsold_units_by_days_since_manufacture(shop):
    report = stock_age(shop.tenant_id, as_of=JULY)

    # U1-U4: 2026-01-10 to 2026-07-15 is 186 days; U5-U6: 2026-06-20 to 2026-07-15 is 25 days.
    assert {b.label: b.units for b in report.unsold} == {
        "0–30 days": 2, "31–90 days": 0, "91–180 days": 0, "181–365 days": 4, "1–1½ years": 0, "1½–2 years": 0,
        "over 2 years": 0}
    assert [(r.key, r.units, r.mean_days, r.max_days) for r in report.unsold_by_lot] == [
        ("L1", 4, 186.0, 186), ("L2", 2, 25.0, 25)]


def test_age_at_sale_runs_from_manufacture_to_the_till_or_else_the_purchase(shop):
    report = stock_age(shop.tenant_id, as_of=JULY)

    # S1 30 days, S2 and S3 60, R1 81 (its owner's purchase date), S4 120.
    assert {b.label: b.units for b in report.at_sale}["0–30 days"] == 1
    assert {b.label: b.units for b in report.at_sale}["31–90 days"] == 3
    assert {b.label: b.units for b in report.at_sale}["91–180 days"] == 1
    assert [(r.key, r.units, r.mean_days, r.min_days, r.max_days) for r in report.at_sale_by_model] == [
        ("Alpha", 5, pytest.approx(70.2), 30, 120)]
    assert {r.key: (r.units, r.mean_days) for r in report.at_sale_by_channel} == {
        "Shop A": (2, 45.0), "Shop B": (2, 90.0), "Shop C": (1, 81.0)}


def test_filters_narrow_every_figure(shop):
    assert stock_age(shop.tenant_id, Filters(lot="L2"), as_of=JULY).unsold_total == 2
    assert stock_age(shop.tenant_id, Filters(channel="Shop B"), as_of=JULY).sold_total == 2
    assert stock_age(shop.tenant_id, Filters(sold_from=date(2026, 3, 1), sold_to=date(2026, 3, 31)),
                     as_of=JULY).sold_total == 2
    assert stock_age(shop.tenant_id, Filters(made_from=date(2026, 6, 1)), as_of=JULY).unsold_total == 2
    assert stock_age(shop.tenant_id, Filters(model=shop.model_id + 999), as_of=JULY).unsold_total == 0


def test_sell_through_counts_sales_per_month_mix_and_cohorts(shop):
    report = sell_through(shop.tenant_id, as_of=JULY, months=6)

    assert report.months == ("2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07")
    assert [(s.name, s.counts) for s in report.by_model] == [("Alpha", (1, 2, 1, 1, 0, 0))]
    assert {s.name: s.counts for s in report.by_channel}["Shop B"] == (0, 1, 0, 1, 0, 0)
    assert {s.name: (s.units, s.share) for s in report.channel_mix} == {
        "Shop A": (2, 0.4), "Shop B": (2, 0.4), "Shop C": (1, 0.2)}
    # January's 9 units: 5 sold, 4 of them within 90 days; June's 2 are too young for a 90-day rate.
    jan, jun = report.cohorts
    assert (jan.month, jan.made, jan.sold, jan.sold_90) == ("2026-01", 9, 5, 4)
    assert jan.rate == pytest.approx(5 / 9) and jan.rate_90 == pytest.approx(4 / 9)
    assert (jun.month, jun.made, jun.sold, jun.rate_90) == ("2026-06", 2, 0, None)


def test_reach_is_the_registered_share_of_till_sales(shop):
    report = reach(shop.tenant_id, as_of=JULY, months=6)

    assert (report.overall.sold, report.overall.registered) == (4, 2)
    assert {r.name: r.share for r in report.by_channel} == {"Shop A": 1.0, "Shop B": 0.0}
    # S3 (Shop B) has no owner, but a safety-only contact: reachable, counted apart.
    assert {r.name: (r.safety_only, r.reachable) for r in report.by_channel} == {"Shop A": (0, 1.0),
                                                                                "Shop B": (1, 0.5)}
    assert report.overall.safety_only == 1
    assert [(r.name, r.sold, r.registered) for r in report.by_month][:4] == [
        ("2026-02", 1, 1), ("2026-03", 2, 1), ("2026-04", 0, 0), ("2026-05", 1, 0)]
    # S1 registered the day of its sale, S2 ten days after.
    assert {d.label: d.units for d in report.delays} == {
        "same day": 1, "1–7 days": 0, "8–30 days": 1, "31–90 days": 0, "over 90 days": 0}
    assert report.mean_delay_days == 5.0
    assert report.registered_without_sale == 1  # R1


def test_nevada_table_counts_claims_by_months_in_service_and_leaves_unobserved_cells_empty(shop):
    table = failure_curves(shop.tenant_id, as_of=JULY).nevada

    assert table.cohorts == ("2026-02", "2026-03", "2026-04", "2026-05")
    assert table.units == (1, 2, 1, 1)
    # July's claim is not counted: July is not over. R1's claim was withdrawn. None = not observed yet.
    assert table.cells == (
        (0, 0, 1, 0, 0),
        (1, 0, 0, 1, None),
        (0, 0, 0, None, None),
        (0, 0, None, None, None),
    )


def test_survival_censors_units_without_a_claim_at_their_last_observed_month(shop):
    curve = failure_curves(shop.tenant_id, as_of=JULY).curves[0]

    # First claims: S2 at month 0, S1 at 2. Censored: S4 at 1, R1 at 2, S3 at 3.
    assert [(r.month, r.at_risk, r.failures, r.censored) for r in curve.rows] == [
        (0, 5, 1, 0), (1, 4, 0, 1), (2, 3, 1, 1), (3, 1, 0, 1)]
    assert [r.hazard for r in curve.rows] == pytest.approx([0.2, 0.0, 1 / 3, 0.0])
    assert [r.survival for r in curve.rows] == pytest.approx([0.8, 0.8, 0.8 * 2 / 3, 0.8 * 2 / 3])
    assert [c.name for c in failure_curves(shop.tenant_id, as_of=JULY, by="lot").curves] == ["Every unit", "L1"]


def test_forecast_expected_claims_follow_the_rates_by_age(shop):
    costs = {"repair": 100, "replacement": 400, "refund": 500}
    report = forecast(shop.tenant_id, costs=costs, as_of=JULY)

    # Rates by month in service (claims ÷ units observed): 1/5, 0/5, 1/4, 1/3, 0/1; past month 4 the
    # average, 3 claims ÷ 18 unit-months = 1/6. Over July 2026 - June 2027 at ages 5-16, 4-15, 3-14, 2-13:
    # Feb's unit 12/6; each of March's two 0 + 11/6; April's 1/3 + 0 + 10/6; May's 1/4 + 1/3 + 0 + 9/6.
    expected = 12 / 6 + 2 * 11 / 6 + (1 / 3 + 10 / 6) + (1 / 4 + 1 / 3 + 9 / 6)
    assert report.expected == pytest.approx(expected) == pytest.approx(9.75)
    assert [(r.cohort, r.units) for r in report.rows] == [("2026-02", 1), ("2026-03", 2), ("2026-04", 1),
                                                          ("2026-05", 1)]
    assert report.training_claims == 3
    low, high = report.band
    sigma = (9.75 + 9.75 ** 2 / 3) ** 0.5
    assert (low, high) == (0.0, pytest.approx(9.75 + 1.645 * sigma))
    assert report.outcome_mix == {"repair": 1.0, "replacement": 0.0, "refund": 0.0}  # S2's claim was repaired
    assert report.cost[0] == pytest.approx(975.0)
    assert report.months[0].month == "2026-07" and len(report.months) == 12


def test_backtest_forecasts_the_last_six_months_from_the_data_before_them(shop):
    report = forecast(shop.tenant_id, costs={"repair": 1}, as_of=date(2026, 10, 15))
    back = report.backtest

    # From before April: units S1 (Feb) and S2, S3 (Mar); S2's claim at month 0. Rates: month 0 1/3,
    # month 1 0/1, later 1/4. April-September: S1 ages 2-7: 6/4; S2 and S3 ages 1-6: 0 + 5/4 each.
    assert [m.month for m in back.months] == ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"]
    assert back.expected == pytest.approx(6 / 4 + 2 * 5 / 4)
    # Actual claims on those units: S1 in April and July, S2 in June.
    assert [m.actual for m in back.months] == [1, 0, 1, 1, 0, 0]
    assert back.error == pytest.approx(-1.0)


def test_no_figure_counts_another_tenants_units(shop):
    assert stock_age(shop.other_tenant_id, as_of=JULY).sold_total == 1
    assert reach(shop.other_tenant_id, as_of=JULY).overall.sold == 1
    assert failure_curves(shop.other_tenant_id, as_of=JULY).nevada.units == (1,)
    assert reach(shop.tenant_id, as_of=JULY).overall.sold == 4
