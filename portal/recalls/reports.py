"""Recall reporting: completion over time, the regulators' quarterly figures, the unit list."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import aliased

from portal.catalog.models import ProductModel, Unit
from portal.core.dates import day_key
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.recalls.models import RecallCampaign, RecallUnit, RecallUnitState, completion_rate
from portal.recalls.owners import owns


@dataclass
class CampaignProgress:
    campaign: RecallCampaign
    affected: int
    removed: int
    remedied: int

    @property
    def rate(self) -> float:
        return completion_rate(self.remedied, self.affected, self.removed)


def campaign_progress(campaigns: list[RecallCampaign]) -> list[CampaignProgress]:
    """Each campaign's affected, removed and remedied units, from one grouped query for all of them."""
    if not campaigns:
        return []
    rows = db.session.execute(
        select(RecallUnit.campaign_id, func.count(),
               func.sum(case((RecallUnit.state == RecallUnitState.REMOVED, 1), else_=0)),
               func.sum(case((RecallUnit.state == RecallUnitState.REMEDIED, 1), else_=0)))
        .where(RecallUnit.campaign_id.in_([c.id for c in campaigns]))
        .group_by(RecallUnit.campaign_id)
    ).all()
    figures = {campaign_id: (affected, removed or 0, remedied or 0) for campaign_id, affected, removed, remedied in rows}
    return [CampaignProgress(c, *figures.get(c.id, (0, 0, 0))) for c in campaigns]


def _quarter(d: date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


@dataclass
class Day:
    """What happened to a campaign's units on one UTC day, counted by the database."""
    joined: int = 0  # units that joined the affected population
    removed: int = 0  # of those, removed since (exported, scrapped, stolen, unreachable)
    remedied: int = 0  # units remedied that day (state remedied)
    remedy_dated: int = 0  # units with a remedy date of that day, whatever their state now


def _days(campaign: RecallCampaign) -> dict[date, Day]:
    """Two GROUP BYs over the campaign's units, never a row per unit in Python: the reports stay quick for
    a campaign of millions."""
    days: dict[date, Day] = defaultdict(Day)
    joined = day_key(RecallUnit.joined_at)
    for key, count, removed in db.session.execute(
            select(joined, func.count(), func.sum(case((RecallUnit.state == RecallUnitState.REMOVED, 1), else_=0)))
            .where(RecallUnit.campaign_id == campaign.id).group_by(joined)):
        days[date.fromisoformat(key)].joined, days[date.fromisoformat(key)].removed = count, removed or 0
    remedied = day_key(RecallUnit.remedied_at)
    for key, dated, done in db.session.execute(
            select(remedied, func.count(), func.sum(case((RecallUnit.state == RecallUnitState.REMEDIED, 1), else_=0)))
            .where(RecallUnit.campaign_id == campaign.id, RecallUnit.remedied_at.is_not(None)).group_by(remedied)):
        days[date.fromisoformat(key)].remedy_dated, days[date.fromisoformat(key)].remedied = dated, done or 0
    return days


def completion_series(campaign: RecallCampaign) -> list[tuple[date, float]]:
    """(day, completion rate at the end of that day) from launch to the last remedy or removal."""
    days = _days(campaign)
    if not days or campaign.launched_at is None:
        return []
    removed = sum(d.removed for d in days.values())
    launch_day = campaign.launched_at.date()
    ordered = sorted(d for d, v in days.items() if v.joined or v.remedied)
    series = [(launch_day, 0.0)] if ordered and ordered[0] >= launch_day else []
    population = done = 0
    for day in ordered:
        population += days[day].joined
        done += days[day].remedied
        series.append((day, completion_rate(done, population, removed)))
    return series


def quarterly_rows(campaign: RecallCampaign) -> list[list]:
    """Per quarter: affected population, removed, remedied in the quarter and cumulative, completion rate."""
    by_quarter: dict[str, Day] = defaultdict(Day)
    for day, counts in _days(campaign).items():
        q = by_quarter[_quarter(day)]
        q.joined += counts.joined
        q.removed += counts.removed
        q.remedy_dated += counts.remedy_dated
    out = [["campaign", "quarter", "affected", "removed", "remedied_in_quarter", "remedied_to_date", "completion_rate"]]
    affected = removed = to_date = 0
    for quarter in sorted(by_quarter):
        counts = by_quarter[quarter]
        affected, removed, to_date = affected + counts.joined, removed + counts.removed, to_date + counts.remedy_dated
        out.append([campaign.number, quarter, affected, removed, counts.remedy_dated, to_date,
                    f"{completion_rate(to_date, affected, removed):.4f}"])
    return out


def unit_rows(campaign: RecallCampaign):
    """Every affected unit with its state, in id order: a generator of CSV rows that reads the database 1,000
    rows at a time."""
    yield ["gtin", "serial", "state", "registered_owner", "joined_at", "notified_at", "acknowledged_at", "remedied_at",
           "removed_reason", "recorded_by", "remedy_place", "chosen_option", "held_in", "remedy_choice",
           "scheduled_on", "remedy_done"]
    holder = aliased(Unit)
    owned = exists().where(owns(RecallUnit, Ownership))  # a column, not a join: one row per unit
    stmt = (select(RecallUnit, ProductModel.gtin, Unit.serial, owned, holder.serial)
            .join(Unit, Unit.id == RecallUnit.unit_id).join(ProductModel, ProductModel.id == Unit.model_id)
            .outerjoin(holder, holder.id == RecallUnit.holder_id)
            .where(RecallUnit.campaign_id == campaign.id).order_by(RecallUnit.id))
    for ru, gtin, serial, ownership_id, held_in in db.session.execute(stmt).yield_per(1000):
        # "erased": the unit had an owner who deleted their account; it counts as owned, not as never sold.
        owner = "yes" if ownership_id else ("erased" if ru.owner_erased_at else "no")
        yield [gtin, serial, ru.state.value, owner,
               *(t.isoformat() if t else "" for t in (ru.joined_at, ru.notified_at, ru.acknowledged_at, ru.remedied_at)),
               ru.removed_reason, ru.recorded_by, ru.remedy_place, ru.chosen_option, held_in or "", ru.remedy_choice,
               ru.scheduled_on.isoformat() if ru.scheduled_on else "", ru.remedy_kind]
