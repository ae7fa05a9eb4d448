"""Console pages of the insights, /console/<tenant>/insights/... (routes on the console blueprint).

Each page parses the filters, calls one query module with the tenant's id and renders its report; its CSV
sibling writes the same report's rows through the CSV helper (invariant 8). A filter that does not parse
answers 400 with the reason, never a 500. Every staff role may look.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.accounts.tenancy import console as bp
from portal.core.exports import csv_text
from portal.insights import failures, forecast, reach, sales, stock
from portal.insights.facts import BadFilter, Filters, filter_choices, summary_ready
from portal.insights.refresh import refreshed_at

#: Average cost of a claim per outcome when the page is given none (INSIGHT_CLAIM_COSTS overrides it).
DEFAULT_COSTS = {"repair": 60.0, "replacement": 240.0, "refund": 300.0}
MAX_COST = 10_000_000
#: The message for a cost that is not a number, per outcome (translated when raised).
COST_NOT_A_NUMBER = {"repair": lambda: _("The cost of a repair must be a number."),
                     "replacement": lambda: _("The cost of a replacement must be a number."),
                     "refund": lambda: _("The cost of a refund must be a number.")}
COST_OUT_OF_RANGE = {"repair": lambda top: _("The cost of a repair must lie between 0 and %(max)s.", max=top),
                     "replacement": lambda top: _("The cost of a replacement must lie between 0 and %(max)s.",
                                                  max=top),
                     "refund": lambda top: _("The cost of a refund must lie between 0 and %(max)s.", max=top)}

VIEWS = (
    ("stock", _l("Stock age"), _l("How long stock waited before it sold, and how old the unsold stock is.")),
    ("sales", _l("Sell-through and mix"), _l("Units sold per month by model and channel, and how much of each "
                                             "manufacture month has sold.")),
    ("reach", _l("Reach"), _l("The share of sold units registered to an owner, and how long owners take.")),
    ("failures", _l("Failure curves"), _l("Claims by months in service, survival and hazard per model or lot.")),
    ("forecast", _l("Warranty reserve"), _l("Expected claims and their cost over the next 12 months, with a "
                                            "band and a backtest.")),
)


def _costs() -> dict[str, float]:
    base = {**DEFAULT_COSTS, **current_app.config.get("INSIGHT_CLAIM_COSTS", {})}
    costs = {}
    for outcome, default in base.items():
        raw = (request.args.get(f"cost_{outcome}") or "").strip()
        if not raw:
            costs[outcome] = float(default)
            continue
        try:
            value = float(raw)
        except ValueError:
            raise BadFilter(COST_NOT_A_NUMBER[outcome](), field=f"cost_{outcome}") from None
        if not 0 <= value <= MAX_COST:
            raise BadFilter(COST_OUT_OF_RANGE[outcome](f"{MAX_COST:,}"),
                            field=f"cost_{outcome}")
        costs[outcome] = value
    return costs


def _parse(name: str) -> tuple[Filters, dict]:
    """The filters, and what else the view takes (costs, grouping); raises BadFilter."""
    filters = Filters.from_args(request.args)
    extra: dict = {}
    if name == "forecast":
        extra["costs"] = _costs()
    if name == "failures":
        extra["by"] = request.args.get("by", "model")
        if extra["by"] not in ("model", "lot"):
            raise BadFilter(_("Group the curves by model or by lot."), field="by")
    return filters, extra


def _page(name: str, build: Callable[..., object]):
    try:
        filters, extra = _parse(name)
        report = build(filters, **extra)
    except BadFilter as err:
        return render_template("insights/bad_filter.html", message=str(err), view=name, views=VIEWS), 400
    title = next(t for key, t, _ in VIEWS if key == name)
    return render_template(f"insights/{name}.html", report=report, filters=filters, view=name, title=title,
                           views=VIEWS, choices=filter_choices(g.tenant.id), extra=extra,
                           data_as_of=refreshed_at() if summary_ready() else None)


def _csv(name: str, build: Callable[..., object], rows: Callable[[object], list[list]]):
    try:
        filters, extra = _parse(name)
        report = build(filters, **extra)
    except BadFilter as err:
        return Response(str(err) + "\n", status=400, mimetype="text/plain")
    return Response(csv_text(rows(report)), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={g.tenant.slug}-{name}.csv"})


def _stock(filters, **_):
    return stock.stock_age(g.tenant.id, filters)


def _sales(filters, **_):
    return sales.sell_through(g.tenant.id, filters, months=24)


def _reach(filters, **_):
    return reach.reach(g.tenant.id, filters)


def _failures(filters, by="model", **_):
    return failures.failure_curves(g.tenant.id, filters, by=by)


def _forecast(filters, costs, **_):
    return forecast.forecast(g.tenant.id, filters, costs=costs)


BUILDERS = {"stock": (_stock, stock.csv_rows), "sales": (_sales, sales.csv_rows), "reach": (_reach, reach.csv_rows),
            "failures": (_failures, failures.csv_rows), "forecast": (_forecast, forecast.csv_rows)}


@bp.get("/<tenant>/insights/")
def insights():
    return render_template("insights/index.html", views=VIEWS, view=None)


@bp.get("/<tenant>/insights/<any(stock, sales, reach, failures, forecast):name>")
def insight(name: str):
    return _page(name, BUILDERS[name][0])


@bp.get("/<tenant>/insights/<any(stock, sales, reach, failures, forecast):name>.csv")
def insight_csv(name: str):
    build, rows = BUILDERS[name]
    return _csv(name, build, rows)
