"""Quality signals from warranty claims: claim rates per model and per lot, over time, and outlying lots.

A rate is claims ÷ units made (every commissioned unit of the model or lot counts, sold or not), so
a young lot whose units are mostly still in the warehouse looks better than it will. Withdrawn claims
do not count: the owner took them back. Months are calendar months of filing in UTC.

Plain arguments in (a manufacturer id), plain data out: no request, so the console page, its CSV and
any scheduled report read the same numbers. Every figure is one GROUP BY, never a loop over claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date, format_decimal
from sqlalchemy import func, select

from portal.catalog.models import Lot, ProductModel, Unit
from portal.core.dates import last_months, month_key
from portal.core.db import utcnow
from portal.core.i18n import percent as i18n_percent
from portal.extensions import db
from portal.warranty.models import ClaimState, WarrantyClaim

#: A lot stands out when its rate exceeds this multiple of its model's overall rate...
OUTLIER_FACTOR = 2.0
#: ...and it has at least this many claims (one unlucky claim in a tiny lot is not a signal).
OUTLIER_MIN_CLAIMS = 3


def percent(rate: float) -> str:
    """A claim rate with one decimal, or two for rates under 1 % ("12.5%", "12,5 %")."""
    return i18n_percent(rate, 1 if rate >= 0.01 or rate == 0 else 2)


def times(factor: float) -> str:
    """How many times the model's rate, with one decimal in the reader's notation."""
    return format_decimal(factor, "#,##0.0")


def _rate(claims: int, units: int) -> float:
    return claims / units if units else 0.0


@dataclass
class ModelRate:
    model_id: int
    name: str
    gtin: str
    units: int
    claims: int

    @property
    def rate(self) -> float:
        return _rate(self.claims, self.units)


@dataclass
class LotRate:
    lot_id: int
    code: str
    model: ModelRate
    units: int
    claims: int

    @property
    def rate(self) -> float:
        return _rate(self.claims, self.units)

    @property
    def times_model(self) -> float:
        """How many times the model's overall rate this lot's rate is (0 when the model has none)."""
        return self.rate / self.model.rate if self.model.rate else 0.0

    @property
    def outlier(self) -> bool:
        return self.claims >= OUTLIER_MIN_CLAIMS and self.rate > OUTLIER_FACTOR * self.model.rate


@dataclass
class Month:
    month: str  # YYYY-MM
    claims: int
    units: int

    @property
    def rate(self) -> float:
        return _rate(self.claims, self.units)

    @property
    def label(self) -> str:
        """"Mar 26", "mars 26", "März 26": in the reader's language (read only by the page)."""
        return format_date(self._first_day, "MMM yy")

    @property
    def short_label(self) -> str:
        return format_date(self._first_day, "MMM")

    @property
    def _first_day(self) -> date:
        return date(int(self.month[:4]), int(self.month[5:]), 1)


@dataclass
class QualityReport:
    models: list[ModelRate]
    lots: list[LotRate]
    #: model id -> the last `months` months, oldest first (zero-filled); key None is every model together.
    months: dict[int | None, list[Month]] = field(default_factory=dict)

    @property
    def outliers(self) -> list[LotRate]:
        return sorted((lot for lot in self.lots if lot.outlier), key=lambda lot: -lot.rate)


def quality_report(manufacturer_id: int, *, months: int = 12, today: date | None = None) -> QualityReport:
    """Claim rates of one manufacturer's models and lots, and monthly rates over the last `months` months."""
    counted = WarrantyClaim.state != ClaimState.WITHDRAWN
    mine = Unit.manufacturer_id == manufacturer_id
    models = {
        m.id: ModelRate(m.id, m.name, m.gtin, 0, 0)
        for m in db.session.scalars(
            select(ProductModel)
            .where(ProductModel.manufacturer_id == manufacturer_id)
            .order_by(ProductModel.name)
        )
    }
    lot_units: dict[int, int] = {}
    for model_id, lot_id, n in db.session.execute(
        select(Unit.model_id, Unit.lot_id, func.count()).where(mine).group_by(Unit.model_id, Unit.lot_id)
    ):
        if model_id in models:
            models[model_id].units += n
        if lot_id is not None:
            lot_units[lot_id] = n
    lot_claims: dict[int, int] = {}
    for model_id, lot_id, n in db.session.execute(
        select(Unit.model_id, Unit.lot_id, func.count(WarrantyClaim.id))
        .join(Unit, Unit.id == WarrantyClaim.unit_id)
        .where(WarrantyClaim.manufacturer_id == manufacturer_id, mine, counted)
        .group_by(Unit.model_id, Unit.lot_id)
    ):
        if model_id in models:
            models[model_id].claims += n
        if lot_id is not None:
            lot_claims[lot_id] = n
    lots = [
        LotRate(lot.id, lot.code, models[lot.model_id], lot_units.get(lot.id, 0), lot_claims.get(lot.id, 0))
        for lot in db.session.scalars(select(Lot).where(Lot.model_id.in_(list(models))).order_by(Lot.code))
        if lot.model_id in models
    ]
    lots.sort(key=lambda lot: (lot.model.name, lot.code))

    keys = last_months(months, today or utcnow().date())
    month = month_key(WarrantyClaim.created_at)
    per_month: dict[tuple[int, str], int] = {}
    for model_id, key, n in db.session.execute(
        select(Unit.model_id, month, func.count(WarrantyClaim.id))
        .join(Unit, Unit.id == WarrantyClaim.unit_id)
        .where(WarrantyClaim.manufacturer_id == manufacturer_id, mine, counted, month >= keys[0])
        .group_by(Unit.model_id, month)
    ):
        per_month[(model_id, key)] = n
    series: dict[int | None, list[Month]] = {
        m.model_id: [Month(k, per_month.get((m.model_id, k), 0), m.units) for k in keys]
        for m in models.values()
    }
    total_units = sum(m.units for m in models.values())
    series[None] = [Month(k, sum(per_month.get((m, k), 0) for m in models), total_units) for k in keys]
    return QualityReport(list(models.values()), lots, series)


def csv_rows(report: QualityReport) -> list[list]:
    """One tidy table: a row per model, per lot, and per model and month (rates as fractions, 4 decimals)."""
    rows: list[list] = [
        ["scope", "model", "gtin", "lot", "month", "units", "claims", "rate", "times_model_rate", "outlier"]
    ]
    for m in report.models:
        rows.append(["model", m.name, m.gtin, "", "", m.units, m.claims, f"{m.rate:.4f}", "", ""])
    for lot in report.lots:
        rows.append(
            [
                "lot",
                lot.model.name,
                lot.model.gtin,
                lot.code,
                "",
                lot.units,
                lot.claims,
                f"{lot.rate:.4f}",
                f"{lot.times_model:.2f}",
                "yes" if lot.outlier else "no",
            ]
        )
    for m in report.models:
        for month in report.months.get(m.model_id, []):
            rows.append(
                [
                    "month",
                    m.name,
                    m.gtin,
                    "",
                    month.month,
                    month.units,
                    month.claims,
                    f"{month.rate:.4f}",
                    "",
                    "",
                ]
            )
    return rows
