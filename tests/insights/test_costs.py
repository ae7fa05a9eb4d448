"""Claim costs come from the claims: the desk records what a claim cost when it closes it, and the reserve
prices each outcome at the recorded average, the entered figures only where no cost was recorded."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.core.errors import Invalid
from portal.extensions import db
from portal.insights.forecast import forecast
from portal.warranty.models import ClaimState, WarrantyClaim
from portal.warranty.services import claim_cost, move
from tests.factories import PASSWORD, login

JULY = date(2026, 7, 15)
ENTERED = {"repair": 100.0, "replacement": 400.0, "refund": 500.0}


def _open_claim() -> WarrantyClaim:
    """S2's second claim (filed 2026-06-03), taken to repaired by the desk."""
    claim = db.session.scalars(select(WarrantyClaim).where(WarrantyClaim.state == ClaimState.SUBMITTED)
                               .order_by(WarrantyClaim.created_at.desc())).first()
    agent = find_user("agent@acme.test")
    for state in ("approved", "in_repair", "repaired"):
        move(claim, state, actor=agent, role="agent")
    return claim


def test_without_recorded_costs_the_entered_figures_price_the_reserve_and_say_so(shop):
    report = forecast(shop.tenant_id, costs=ENTERED, as_of=JULY)
    assert report.costs == ENTERED
    assert [report.cost_source(o) for o in ENTERED] == ["entered"] * 3
    assert report.cost[0] == pytest.approx(975.0)  # 9.75 claims, every decided one repaired, at 100


def test_recorded_costs_replace_the_entered_figure_of_their_outcome(shop):
    claim = _open_claim()
    move(claim, "closed", actor=find_user("agent@acme.test"), role="agent", cost_amount="84.50", cost_currency="eur")
    first = db.session.scalar(select(WarrantyClaim).where(WarrantyClaim.state == ClaimState.CLOSED,
                                                           WarrantyClaim.id != claim.id))
    first.cost_amount, first.cost_currency = Decimal("115.50"), "EUR"  # S2's first claim, closed by the fixture
    db.session.commit()
    assert (claim.cost_amount, claim.cost_currency) == (Decimal("84.50"), "EUR")

    report = forecast(shop.tenant_id, costs=ENTERED, as_of=JULY)
    assert report.outcomes.recorded == {"repair": (100.0, 2)}  # (84.50 + 115.50) / 2
    assert report.outcomes.currency == "EUR"
    assert report.cost_source("repair") == "recorded" and report.cost_source("refund") == "entered"
    assert report.costs == {"repair": 100.0, "replacement": 400.0, "refund": 500.0}
    dear = forecast(shop.tenant_id, costs={**ENTERED, "repair": 999.0}, as_of=JULY)
    assert dear.costs["repair"] == 100.0  # the entered figure is only a fallback
    rows = [r for r in forecast_rows(dear) if r[0] == "outcome_cost"]
    assert rows[0][:4] == ["outcome_cost", "repair", "recorded", 2]
    assert rows[1][:3] == ["outcome_cost", "replacement", "entered"]


def forecast_rows(report):
    from portal.insights.forecast import csv_rows

    return csv_rows(report)


@pytest.mark.parametrize(("amount", "currency", "field"), [
    ("lots", "EUR", "cost_amount"), ("-1", "EUR", "cost_amount"), ("1e99", "EUR", "cost_amount"),
    ("12.345", "EUR", "cost_amount"), ("NaN", "EUR", "cost_amount"), ("Infinity", "EUR", "cost_amount"),
    ("12", "EURO", "cost_currency"), ("12", "", "cost_currency"), ("12", "<b>", "cost_currency")])
def test_a_bad_cost_is_refused_naming_its_field(amount, currency, field):
    with pytest.raises(Invalid) as err:
        claim_cost(amount, currency)
    assert err.value.field == field


def test_no_cost_entered_is_no_cost():
    assert claim_cost("", "EUR") is None
    assert claim_cost(" 12,5 ", "chf") == (Decimal("12.50"), "CHF")


def test_the_desk_records_the_cost_when_it_closes_a_claim(app, shop_site):
    with app.app_context():
        claim = _open_claim()
        db.session.commit()
        number, version = claim.number, claim.version
    client = app.test_client()
    login(client, "agent@acme.test", PASSWORD)
    page = client.get(f"/console/acme/claims/{number}").get_data(as_text=True)
    assert 'name="cost_amount"' in page and 'name="cost_currency"' in page

    refused = client.post(f"/console/acme/claims/{number}/move",
                          data={"target": "closed", "version": version, "cost_amount": "-5", "cost_currency": "EUR"})
    assert refused.status_code in (400, 422)
    with app.app_context():
        db.session.expire_all()
        stored = db.session.scalar(select(WarrantyClaim).where(WarrantyClaim.number == number))
        assert stored.state is ClaimState.REPAIRED and stored.cost_amount is None  # nothing changed

    done = client.post(f"/console/acme/claims/{number}/move",
                       data={"target": "closed", "version": version, "cost_amount": "84.50", "cost_currency": "EUR"})
    assert done.status_code == 303
    with app.app_context():
        stored = db.session.scalar(select(WarrantyClaim).where(WarrantyClaim.number == number))
        assert (stored.state, stored.cost_amount, stored.cost_currency) == (ClaimState.CLOSED, Decimal("84.50"), "EUR")

    rows = list(csv.reader(io.StringIO(client.get("/console/acme/insights/forecast.csv").get_data(as_text=True))))
    repair = next(r for r in rows if r[0] == "outcome_cost" and r[1] == "repair")
    assert repair[2] == "recorded" and repair[-1] == "84.50"
    html = client.get("/console/acme/insights/forecast").get_data(as_text=True)
    assert "average of 1 closed claim" in html and "fallback: entered figure" in html
