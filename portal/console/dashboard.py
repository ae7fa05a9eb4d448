"""The console home's figures: what a tenant's staff should see first each morning.

Every figure is one grouped query over the tenant's rows (never a loop per unit or claim), so the page
stays quick for a manufacturer with millions of units. Plain data out, so the figures can be tested
without rendering and the page only draws them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from portal.authenticity.models import AlertState, CloneAlert
from portal.catalog.models import Unit
from portal.core.dates import last_months, month_key
from portal.core.db import utcnow
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.recalls.models import ACTIVE_CAMPAIGN_STATES, RecallCampaign
from portal.recalls.reports import CampaignProgress, campaign_progress
from portal.warranty.models import ClaimState, WarrantyClaim
from portal.warranty.quality import LotRate, quality_report

#: Open-claim age buckets: (label, lower bound in days, inclusive). The last has no upper bound.
CLAIM_AGES = ((_l("under a week"), 0), (_l("1–2 weeks"), 7), (_l("2–4 weeks"), 14), (_l("over 4 weeks"), 28))
OPEN_CLAIM_STATES = tuple(state for state in ClaimState if state.is_open)


@dataclass
class Bar:
    label: str
    value: int
    #: console link filtered to what the bar counts, when there is one
    link_args: dict = field(default_factory=dict)


@dataclass
class Dashboard:
    registrations: list[Bar]
    claim_ages: list[Bar]
    recalls: list[CampaignProgress]
    outliers: list[LotRate]
    open_alerts: int
    alerts_last_30_days: int

    @property
    def open_claims(self) -> int:
        return sum(bar.value for bar in self.claim_ages)


def registrations_by_month(manufacturer_id: int, *, months: int = 12, today: date | None = None) -> list[Bar]:
    """Units first registered by an owner in each of the last `months` months (transfers are not new)."""
    keys = last_months(months, today or utcnow().date())
    month = month_key(Ownership.since)
    counts = dict(db.session.execute(
        select(month, func.count())
        .join(Unit, Unit.id == Ownership.unit_id)
        .where(Unit.manufacturer_id == manufacturer_id, Ownership.source == "registration",
               Ownership.since >= _month_start(keys[0]))
        .group_by(month)
    ).all())
    return [Bar(_month_label(key, first=index == 0), counts.get(key, 0)) for index, key in enumerate(keys)]


def _month_label(key: str, *, first: bool) -> str:
    """'Mar' for most months, 'Jan 26' where a year begins and on the first column, so twelve fit a phone."""
    day = date(int(key[:4]), int(key[5:]), 1)
    return format_date(day, "MMM yy" if first or day.month == 1 else "MMM")  # in the reader's language


def open_claims_by_age(manufacturer_id: int, *, now=None) -> list[Bar]:
    """Open claims in age buckets since filing, in one CASE ... GROUP BY."""
    now = now or utcnow()
    bucket = case(
        *[(WarrantyClaim.created_at <= now - timedelta(days=low), index)
          for index, (_, low) in reversed(list(enumerate(CLAIM_AGES))) if low > 0],
        else_=0,
    )
    counts = dict(db.session.execute(
        select(bucket, func.count())
        .where(WarrantyClaim.manufacturer_id == manufacturer_id, WarrantyClaim.state.in_(OPEN_CLAIM_STATES))
        .group_by(bucket)
    ).all())
    return [Bar(str(label), counts.get(index, 0), {"state": "open", **({"age": low} if low else {})})
            for index, (label, low) in enumerate(CLAIM_AGES)]


def active_recalls(manufacturer_id: int) -> list[CampaignProgress]:
    """Each active campaign with its affected, removed and remedied units, from one grouped query."""
    campaigns = db.session.scalars(
        select(RecallCampaign)
        .where(RecallCampaign.manufacturer_id == manufacturer_id,
               RecallCampaign.state.in_(ACTIVE_CAMPAIGN_STATES))
        .order_by(RecallCampaign.launched_at.desc())
    ).all()
    return campaign_progress(campaigns)


def build_dashboard(manufacturer_id: int, *, today: date | None = None) -> Dashboard:
    since = utcnow() - timedelta(days=30)
    open_alerts, recent_alerts = db.session.execute(
        select(func.sum(case((CloneAlert.state == AlertState.OPEN, 1), else_=0)),
               func.sum(case((CloneAlert.created_at >= since, 1), else_=0)))
        .where(CloneAlert.manufacturer_id == manufacturer_id)
    ).one()
    return Dashboard(
        registrations=registrations_by_month(manufacturer_id, today=today),
        claim_ages=open_claims_by_age(manufacturer_id),
        recalls=active_recalls(manufacturer_id),
        outliers=quality_report(manufacturer_id, months=1, today=today).outliers[:5],
        open_alerts=open_alerts or 0,
        alerts_last_30_days=recent_alerts or 0,
    )


def _month_start(key: str):
    return utcnow().replace(year=int(key[:4]), month=int(key[5:]), day=1, hour=0, minute=0, second=0,
                            microsecond=0)

