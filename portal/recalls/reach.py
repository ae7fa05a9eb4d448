"""Reach and effectiveness of a campaign: a read model over its units, notices and outbox.

Direct reach is the share of the affected population (less units removed from it) whose owner the
manufacturer can contact directly, counted once per unit in the first channel that applies:

1. an account with a confirmed e-mail address (the owner of the unit or of the assembly holding it);
2. a safety-only contact registered for the unit or its holder (GPSR Art. 35(2));
3. a printed letter: the owner has an account whose e-mail address is unconfirmed or bounced.

A campaign under 95% is flagged: 95% is the direct-reach level below which CPSC does not accept a Recall
Alert in place of a public recall notice. Effectiveness: notices delivered (outbox), opened where the channel
tells (the in-portal notice; e-mail opens are not tracked), acknowledged, remedied.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

from portal.extensions import db
from portal.notifications.queries import count_by_state
from portal.recalls.models import (
    RecallCampaign,
    RecallNotice,
    RecallUnit,
    RecallUnitState,
    completion_rate,
    notice_topic,
)
from portal.recalls.owners import contacted_units, emailed_units, owned_units

DIRECT_REACH_TARGET = 0.95


@dataclass(frozen=True)
class Reach:
    population: int  # affected units less those removed from the population
    by_account: int
    by_contact: int
    by_letter: int
    delivered: int  # e-mails the outbox sent
    failed: int  # e-mails that bounced for good, or were withdrawn when the campaign closed
    opened: int  # in-portal notices the owner opened
    acknowledged: int
    remedied: int
    removed: int

    @property
    def reachable(self) -> int:
        return self.by_account + self.by_contact + self.by_letter

    @property
    def share(self) -> float:
        return self.reachable / self.population if self.population else 0.0

    @property
    def flagged(self) -> bool:
        """Under the 95% direct-reach level."""
        return self.population > 0 and self.share < DIRECT_REACH_TARGET

    @property
    def completion(self) -> float:
        return completion_rate(self.remedied, self.population + self.removed, self.removed)


def campaign_reach(campaign: RecallCampaign) -> Reach:
    """Counted by the database in three statements, whatever the campaign's size."""
    account = RecallUnit.id.in_(emailed_units(campaign.id))
    contact = RecallUnit.id.in_(contacted_units(campaign.id))
    owned = RecallUnit.id.in_(owned_units(campaign.id))
    removed = RecallUnit.state == RecallUnitState.REMOVED

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(select(
        count(~removed), count(and_(~removed, account)), count(and_(~removed, ~account, contact)),
        count(and_(~removed, ~account, ~contact, owned)), count(RecallUnit.acknowledged_at.is_not(None)),
        count(RecallUnit.state == RecallUnitState.REMEDIED), count(removed),
    ).where(RecallUnit.campaign_id == campaign.id)).one()
    population, by_account, by_contact, by_letter, acknowledged, remedied, removed_n = (int(x) for x in row)
    mail = count_by_state(notice_topic(campaign.id))
    opened = db.session.scalar(select(func.count()).select_from(RecallNotice).where(
        RecallNotice.campaign_id == campaign.id, RecallNotice.read_at.is_not(None)))
    dead = sum(v for k, v in mail.items() if str(getattr(k, "value", k)) == "dead")
    sent = sum(v for k, v in mail.items() if str(getattr(k, "value", k)) == "sent")
    return Reach(population=population, by_account=by_account, by_contact=by_contact, by_letter=by_letter,
                 delivered=sent, failed=dead, opened=opened, acknowledged=acknowledged, remedied=remedied,
                 removed=removed_n)
