"""What the regulator reports read from a campaign, gathered once per report by a few grouped queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from portal.catalog.models import Unit
from portal.extensions import db
from portal.recalls.deadlines import Deadline, deadlines
from portal.recalls.models import RecallCampaign, RecallNotice, RecallUnit, RecallUnitState
from portal.recalls.notice_rules import NoticeDocument, build_notice
from portal.recalls.reach import Reach, campaign_reach
from portal.recalls.reports import quarterly_rows


@dataclass(frozen=True)
class Facts:
    campaign: RecallCampaign
    doc: NoticeDocument
    affected: int  # units of remedy, removals included
    removed: dict[str, int]  # by reason
    notified_units: int
    owners_told: int
    reach: Reach
    made_from: date | None
    made_to: date | None
    quarters: list[list]  # recalls.reports.quarterly_rows: header, then a row per quarter
    deadlines: list[Deadline]

    @property
    def deadline(self) -> dict[str, Deadline]:
        return {d.key: d for d in self.deadlines}

    @property
    def remedies(self) -> str:
        return ", ".join(str(r.label) for r in self.doc.remedies)

    @property
    def models(self) -> str:
        return "; ".join(f"{name} ({gtin.removeprefix('GTIN ')})" for name, gtin in
                         zip(self.doc.product_names, [i for i in self.doc.identifiers if i.startswith("GTIN")],
                             strict=False))

    @property
    def codes(self) -> str:
        return "; ".join(i for i in self.doc.identifiers if not i.startswith("GTIN"))

    @property
    def sold(self) -> str:
        parts = [self.doc.sold_when, self.doc.sold_where, f"by {self.doc.sold_by}" if self.doc.sold_by else ""]
        return ", ".join(p for p in parts if p)

    @property
    def chronology(self) -> str:
        c = self.campaign
        steps = [c.chronology.strip()]
        if c.determined_on:
            steps.append(f"{c.determined_on.isoformat()}: defect determined.")
        if c.launched_at:
            steps.append(f"{c.launched_at.date().isoformat()}: recall launched, {self.owners_told} owners told.")
        if c.remedy_available_at:
            steps.append(f"{c.remedy_available_at.date().isoformat()}: remedy available.")
        return " ".join(s for s in steps if s)


def campaign_facts(campaign: RecallCampaign, today: date | None = None) -> Facts:
    counts = dict(db.session.execute(select(RecallUnit.state, func.count()).where(
        RecallUnit.campaign_id == campaign.id).group_by(RecallUnit.state)).all())
    removed = dict(db.session.execute(select(RecallUnit.removed_reason, func.count()).where(
        RecallUnit.campaign_id == campaign.id, RecallUnit.state == RecallUnitState.REMOVED)
        .group_by(RecallUnit.removed_reason)).all())
    notified = db.session.scalar(select(func.count()).select_from(RecallUnit).where(
        RecallUnit.campaign_id == campaign.id, RecallUnit.notified_at.is_not(None)))
    owners = db.session.scalar(select(func.count(RecallNotice.user_id.distinct())).where(
        RecallNotice.campaign_id == campaign.id))
    made_from, made_to = db.session.execute(
        select(func.min(Unit.manufactured_on), func.max(Unit.manufactured_on)).join(
            RecallUnit, RecallUnit.unit_id == Unit.id).where(RecallUnit.campaign_id == campaign.id)).one()
    return Facts(campaign=campaign, doc=build_notice(campaign), affected=sum(counts.values()), removed=removed,
                 notified_units=notified, owners_told=owners, reach=campaign_reach(campaign), made_from=made_from,
                 made_to=made_to, quarters=quarterly_rows(campaign), deadlines=deadlines(campaign, today))
