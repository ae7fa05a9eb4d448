"""Recall reporting: completion over time, the regulators' quarterly figures, the unit list."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from portal.catalog.models import ProductModel, Unit
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.recalls.models import RecallCampaign, RecallUnit, RecallUnitState


def _quarter(d: date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def completion_series(campaign: RecallCampaign) -> list[tuple[date, float]]:
    """(day, completion rate at the end of that day) from launch to the last remedy or removal."""
    rows = db.session.execute(select(RecallUnit.state, RecallUnit.joined_at, RecallUnit.remedied_at)
                              .where(RecallUnit.campaign_id == campaign.id)).all()
    if not rows or campaign.launched_at is None:
        return []
    joined, remedied, removed = defaultdict(int), defaultdict(int), 0
    for state, joined_at, remedied_at in rows:
        joined[joined_at.date()] += 1
        if state is RecallUnitState.REMEDIED and remedied_at:
            remedied[remedied_at.date()] += 1
        elif state is RecallUnitState.REMOVED:
            removed += 1
    days = sorted(set(joined) | set(remedied))
    launch_day = campaign.launched_at.date()
    series, population, done = ([(launch_day, 0.0)] if days and days[0] >= launch_day else []), 0, 0
    for day in days:
        population += joined[day]
        done += remedied[day]
        base = population - removed
        series.append((day, done / base if base > 0 else 0.0))
    return series


def quarterly_rows(campaign: RecallCampaign) -> list[list]:
    """Per quarter: affected population, removed, remedied in the quarter and cumulative, completion rate."""
    rows = db.session.execute(select(RecallUnit.state, RecallUnit.joined_at, RecallUnit.remedied_at)
                              .where(RecallUnit.campaign_id == campaign.id)).all()
    quarters = sorted({_quarter(r.joined_at.date()) for r in rows} |
                      {_quarter(r.remedied_at.date()) for r in rows if r.remedied_at})
    out = [["campaign", "quarter", "affected", "removed", "remedied_in_quarter", "remedied_to_date", "completion_rate"]]
    for quarter in quarters:
        affected = sum(1 for r in rows if _quarter(r.joined_at.date()) <= quarter)
        removed = sum(1 for r in rows if r.state is RecallUnitState.REMOVED and _quarter(r.joined_at.date()) <= quarter)
        in_quarter = sum(1 for r in rows if r.remedied_at and _quarter(r.remedied_at.date()) == quarter)
        to_date = sum(1 for r in rows if r.remedied_at and _quarter(r.remedied_at.date()) <= quarter)
        base = affected - removed
        out.append([campaign.number, quarter, affected, removed, in_quarter, to_date,
                    f"{to_date / base:.4f}" if base else "0.0000"])
    return out


def unit_rows(campaign: RecallCampaign):
    """Every affected unit with its state, streamed in id order."""
    yield ["gtin", "serial", "state", "registered_owner", "joined_at", "notified_at", "acknowledged_at", "remedied_at",
           "removed_reason", "recorded_by", "remedy_place", "chosen_option"]
    stmt = (select(RecallUnit, ProductModel.gtin, Unit.serial, Ownership.id)
            .join(Unit, Unit.id == RecallUnit.unit_id).join(ProductModel, ProductModel.id == Unit.model_id)
            .outerjoin(Ownership, (Ownership.unit_id == Unit.id) & Ownership.until.is_(None))
            .where(RecallUnit.campaign_id == campaign.id).order_by(RecallUnit.id))
    for ru, gtin, serial, ownership_id in db.session.execute(stmt).yield_per(1000):
        # "erased": the unit had an owner who deleted their account; it counts as owned, not as never sold.
        owner = "yes" if ownership_id else ("erased" if ru.owner_erased_at else "no")
        yield [gtin, serial, ru.state.value, owner,
               *(t.isoformat() if t else "" for t in (ru.joined_at, ru.notified_at, ru.acknowledged_at, ru.remedied_at)),
               ru.removed_reason, ru.recorded_by, ru.remedy_place, ru.chosen_option]
