"""The summary the views read (portal.insights.models.UnitFacts) gives the same figures as the tables, is
kept up to date by an incremental refresh, and carries the country of a sale or an owner."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.api.services import record_sale
from portal.catalog.models import Manufacturer, Unit
from portal.catalog.services import create_unit
from portal.core.errors import Invalid
from portal.demo import gtin_for
from portal.extensions import db
from portal.insights import failures, forecast, reach, sales, stock
from portal.insights import refresh as refresh_module
from portal.insights.facts import Filters, summary_ready
from portal.insights.models import UnitFacts
from portal.insights.refresh import due, refresh, refreshed_at
from portal.insights.stock import stock_age

JULY = date(2026, 7, 15)
COSTS = {"repair": 100.0, "replacement": 400.0, "refund": 500.0}
FILTERS = (Filters(), Filters(lot="L1"), Filters(channel="Shop B"), Filters(country="FR"),
           Filters(sold_from=date(2026, 3, 1), sold_to=date(2026, 4, 15)), Filters(made_from=date(2026, 6, 1)))


def _every_view(tenant_id: int, filters: Filters, as_of: date | None) -> dict[str, list]:
    """Every view's figures as its CSV rows (every number it shows, formatted as downloaded)."""
    return {
        "stock": stock.csv_rows(stock.stock_age(tenant_id, filters, as_of=as_of)),
        "sales": sales.csv_rows(sales.sell_through(tenant_id, filters, as_of=as_of, months=12)),
        "reach": reach.csv_rows(reach.reach(tenant_id, filters, as_of=as_of)),
        "failures": failures.csv_rows(failures.failure_curves(tenant_id, filters, as_of=as_of)),
        "lots": failures.csv_rows(failures.failure_curves(tenant_id, filters, as_of=as_of, by="lot")),
        "forecast": forecast.csv_rows(forecast.forecast(tenant_id, filters, costs=COSTS, as_of=as_of)),
    }


def _with_countries(shop) -> None:
    """S1 and S2 (Shop A) sold in France; R1's owner bought in Germany."""
    from portal.catalog.models import UnitEvent
    from portal.ownership.models import Ownership

    db.session.execute(UnitEvent.__table__.update().where(UnitEvent.place == "Shop A").values(country="FR"))
    db.session.execute(Ownership.__table__.update().where(Ownership.retailer == "Shop C").values(country="DE"))
    db.session.commit()


@pytest.mark.parametrize("as_of", [JULY, None], ids=["july", "today"])
def test_the_summary_gives_the_same_figures_as_the_tables(shop, app, monkeypatch, as_of):
    _with_countries(shop)
    monkeypatch.setitem(app.config, "INSIGHT_SUMMARY", True)
    assert not summary_ready()  # never built: the views read the tables
    direct = {f: _every_view(shop.tenant_id, f, as_of) for f in FILTERS}
    refresh()
    db.session.commit()
    assert summary_ready()

    for f in FILTERS:
        summarised = _every_view(shop.tenant_id, f, as_of)
        for view, rows in direct[f].items():
            assert summarised[view] == rows, (f, view, [r for r in summarised[view] if r not in rows],
                                              [r for r in rows if r not in summarised[view]])
    # and the hand-worked figures of test_figures.py still hold
    assert stock_age(shop.tenant_id, Filters(lot="L2"), as_of=JULY).unsold_total == 2
    assert reach.reach(shop.tenant_id, as_of=JULY, months=6).overall.sold == 4


def test_the_summary_is_switched_off_by_configuration(shop, app, monkeypatch):
    refresh()
    db.session.commit()
    monkeypatch.setitem(app.config, "INSIGHT_SUMMARY", False)
    assert not summary_ready()


def test_an_incremental_refresh_rewrites_only_what_changed(shop, app, monkeypatch):
    monkeypatch.setitem(app.config, "INSIGHT_SUMMARY", True)
    first = refresh()
    db.session.commit()
    assert first.full and first.units == 12  # acme's 11 units and bravo's 1
    assert db.session.scalar(select(func.count()).select_from(UnitFacts)) == 12

    acme = db.session.get(Manufacturer, shop.tenant_id)
    unit = create_unit(acme, gtin=gtin_for("4012345", 1), serial="N1", lot="L3", manufactured_on=date(2026, 7, 1), actor="test")
    record_sale(acme, unit, retailer="Shop D", sold_on=date(2026, 7, 10), buyer_email=None, actor="till",
                country="gb")
    db.session.commit()
    before = stock_age(shop.tenant_id, as_of=JULY)
    assert "Shop D" not in before.channels  # not in the summary until the next refresh

    monkeypatch.setattr(refresh_module, "MARGIN", 0)  # the margin would re-read every id of so small a shop
    again = refresh()
    db.session.commit()
    assert not again.full
    assert again.units == 1  # N1 only: the new unit, its sale event
    after = stock_age(shop.tenant_id, as_of=JULY)
    assert "Shop D" in after.channels
    assert stock_age(shop.tenant_id, Filters(country="GB"), as_of=JULY).sold_total == 1
    summarised = _every_view(shop.tenant_id, Filters(), JULY)
    monkeypatch.setitem(app.config, "INSIGHT_SUMMARY", False)
    assert _every_view(shop.tenant_id, Filters(), JULY) == summarised


def test_the_worker_refreshes_when_the_summary_is_a_minute_old(shop, app, monkeypatch):
    from datetime import timedelta

    assert due()
    refresh()
    db.session.commit()
    at = refreshed_at()
    assert not due(at + timedelta(seconds=30))
    assert due(at + timedelta(seconds=61))


def test_the_cli_refreshes_the_summary(shop, app):
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["insights", "refresh", "--full"])
    assert result.exit_code == 0, result.output
    assert "full refresh wrote 12 units' facts" in result.output


def test_a_country_filter_narrows_every_view(shop, app, monkeypatch):
    _with_countries(shop)
    monkeypatch.setitem(app.config, "INSIGHT_SUMMARY", False)
    fr = Filters(country="FR")
    assert stock_age(shop.tenant_id, fr, as_of=JULY).sold_total == 2  # S1, S2
    assert stock_age(shop.tenant_id, Filters(country="DE"), as_of=JULY).sold_total == 1  # R1, by its owner
    assert reach.reach(shop.tenant_id, fr, as_of=JULY).overall.sold == 2
    assert sales.sell_through(shop.tenant_id, fr, as_of=JULY, months=6).by_model[0].counts == (1, 1, 0, 0, 0, 0)
    assert failures.failure_curves(shop.tenant_id, fr, as_of=JULY).nevada.units == (1, 1)
    assert forecast.forecast(shop.tenant_id, fr, costs=COSTS, as_of=JULY).rows[0].cohort == "2026-02"
    assert stock_age(shop.tenant_id, Filters(country="IT"), as_of=JULY).sold_total == 0


@pytest.mark.parametrize("raw", ["F", "FRA", "1A", "fr'--", "é1"])
def test_a_malformed_country_filter_is_refused(raw):
    from werkzeug.datastructures import MultiDict

    from portal.insights.facts import BadFilter

    with pytest.raises(BadFilter):
        Filters.from_args(MultiDict({"country": raw}))
    assert Filters.from_args(MultiDict({"country": " de "})).country == "DE"


def test_a_sale_country_must_be_an_iso_code(shop):
    acme = db.session.get(Manufacturer, shop.tenant_id)
    spare = db.session.scalar(select(Unit).where(Unit.serial == "U1"))
    for bad in ("ZZ", "EU", "XX"):
        with pytest.raises(Invalid):
            record_sale(acme, spare, retailer="Shop A", sold_on=date(2026, 7, 1), buyer_email=None, actor="t",
                        country=bad)


def test_a_worker_round_builds_and_then_refreshes_the_summary(shop, app):
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert summary_ready() and db.session.scalar(select(func.count()).select_from(UnitFacts)) == 12


def test_a_retracted_sale_leaves_the_summary_at_once(shop, app, monkeypatch):
    """An EPCIS error declaration retracts a sale event and announces the units (units_landed) without
    writing a new unit event: the summary rewrites those units then, not at the next refresh."""
    from portal.catalog.models import UnitEvent
    from portal.core.db import utcnow
    from portal.core.signals import units_landed

    monkeypatch.setitem(app.config, "INSIGHT_SUMMARY", True)
    refresh()
    db.session.commit()
    s4 = db.session.scalar(select(Unit).where(Unit.serial == "S4"))
    assert stock_age(shop.tenant_id, Filters(channel="Shop B"), as_of=JULY).sold_total == 2
    db.session.execute(UnitEvent.__table__.update().where(UnitEvent.unit_id == s4.id, UnitEvent.place == "Shop B")
                       .values(retracted_at=utcnow()))
    units_landed.send(shop.tenant_id, unit_ids=[s4.id])
    db.session.commit()

    summarised = _every_view(shop.tenant_id, Filters(), JULY)
    assert stock_age(shop.tenant_id, Filters(channel="Shop B"), as_of=JULY).sold_total == 1
    monkeypatch.setitem(app.config, "INSIGHT_SUMMARY", False)
    assert _every_view(shop.tenant_id, Filters(), JULY) == summarised
