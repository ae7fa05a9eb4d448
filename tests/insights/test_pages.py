"""The insight pages: each answers with its figures, its table and its CSV; bad filters are a 400 with the
reason; another tenant's staff get 404."""
from __future__ import annotations

import csv
import io

import pytest

from tests.factories import PASSWORD, login

VIEWS = ("stock", "sales", "reach", "failures", "forecast")


@pytest.fixture
def agent(client, shop_site):
    login(client, "agent@acme.test", PASSWORD)
    return client


@pytest.mark.parametrize("name", VIEWS)
def test_each_view_shows_its_figures_and_says_how_they_are_computed(agent, name):
    page = agent.get(f"/console/acme/insights/{name}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<svg class="ichart' in html and "<table" in html and 'class="how"' in html
    assert "https://" not in html.split("<main", 1)[1].split("</main>")[0]  # nothing from another host


def test_the_index_links_every_view(agent):
    html = agent.get("/console/acme/insights/").get_data(as_text=True)
    for name in VIEWS:
        assert f"/console/acme/insights/{name}" in html


def test_stock_page_lists_the_unsold_lots(agent):
    html = agent.get("/console/acme/insights/stock?lot=L2").get_data(as_text=True)
    assert "L2" in html and "units unsold" in html


def test_reach_page_shows_the_poorly_registering_channel(agent):
    html = agent.get("/console/acme/insights/reach").get_data(as_text=True)
    assert "Shop B" in html and "0.0%" in html and "100.0%" in html


@pytest.mark.parametrize("name", VIEWS)
def test_csv_has_the_same_tables(agent, name):
    response = agent.get(f"/console/acme/insights/{name}.csv?channel=Shop%20A")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f"acme-{name}.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "table" and len(rows) > 1


def test_a_channel_that_looks_like_a_formula_is_neutralised_in_the_csv(agent):
    rows = agent.get("/console/acme/insights/stock.csv").get_data(as_text=True)
    assert "\n=" not in rows and ",=" not in rows


@pytest.mark.parametrize("query", ["model=abc", "made_from=2026-13-01", "sold_from=2026-05-01&sold_to=2026-04-01",
                                   "lot=" + "x" * 200, "made_to=1800-01-01", "country=FRA", "country=%3Cb%3E"])
def test_a_bad_filter_is_a_400_with_its_reason(agent, query):
    response = agent.get(f"/console/acme/insights/stock?{query}")
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    assert agent.get(f"/console/acme/insights/stock.csv?{query}").status_code == 400


@pytest.mark.parametrize("query", ["cost_repair=-1", "cost_refund=lots", "cost_replacement=nan",
                                   "cost_repair=1e99"])
def test_a_bad_cost_is_a_400(agent, query):
    assert agent.get(f"/console/acme/insights/forecast?{query}").status_code == 400


def test_costs_entered_on_the_page_price_the_forecast(agent):
    cheap = agent.get("/console/acme/insights/forecast.csv?cost_repair=100").get_data(as_text=True)
    dear = agent.get("/console/acme/insights/forecast.csv?cost_repair=1000").get_data(as_text=True)
    month = next(r for r in csv.reader(io.StringIO(cheap)) if r[0] == "forecast_month")
    month_dear = next(r for r in csv.reader(io.StringIO(dear)) if r[0] == "forecast_month")
    assert float(month_dear[-1]) == pytest.approx(float(month[-1]) * 10, rel=1e-3)


def test_failures_group_by_lot_or_model_only(agent):
    assert agent.get("/console/acme/insights/failures?by=lot").status_code == 200
    assert agent.get("/console/acme/insights/failures?by=colour").status_code == 400


def test_another_tenants_staff_get_404(client, shop_site, app):
    from portal.accounts.services import add_staff
    from portal.catalog.models import Manufacturer
    from portal.extensions import db

    with app.app_context():
        bravo = db.session.get(Manufacturer, shop_site.other_tenant_id)
        add_staff(bravo, "admin@bravo.test", "admin", password=PASSWORD, actor="test")
        db.session.commit()
    login(client, "admin@bravo.test", PASSWORD)
    assert client.get("/console/acme/insights/stock").status_code == 404
    assert client.get("/console/acme/insights/forecast.csv").status_code == 404
    assert client.get("/console/bravo/insights/stock").status_code == 200


def test_unknown_view_is_404(agent):
    assert agent.get("/console/acme/insights/profits").status_code == 404


def test_each_view_says_how_fresh_its_data_is(agent, app):
    from portal.extensions import db
    from portal.insights.refresh import refresh

    assert "Data as of now" in agent.get("/console/acme/insights/stock").get_data(as_text=True)
    with app.app_context():
        done = refresh()
        db.session.commit()
    for name in VIEWS:
        html = agent.get(f"/console/acme/insights/{name}?country=fr").get_data(as_text=True)
        assert f"Data as of {done.at:%Y-%m-%d %H:%M} UTC" in html, name
        assert 'value="FR"' in html  # the filter, normalised, in the form
