"""Reach: of the units a till (or an EPCIS partner) recorded as sold, how many have been registered by an
owner, so that a recall notice would find someone; and how long owners took to register.

Only units with a recorded sale count: a unit the portal knows only through its registration is reached by
definition and would flatter the share (those are counted apart, `registered_without_sale`). A unit counts
as reached once it was ever registered, whoever owns it now. Days to registration run from the sale date to
the UTC date of the first registration.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select

from portal.extensions import db
from portal.insights.facts import EVERYTHING, Filters, facts, names
from portal.insights.sql import month_label, month_of

#: (label, first day) of the days-to-registration buckets.
DELAY_BUCKETS = (("same day", 0), ("1–7 days", 1), ("8–30 days", 8), ("31–90 days", 31), ("over 90 days", 91))


@dataclass(frozen=True)
class ReachRow:
    name: str
    sold: int
    registered: int

    @property
    def share(self) -> float:
        return self.registered / self.sold if self.sold else 0.0


@dataclass(frozen=True)
class Delay:
    label: str
    units: int


@dataclass(frozen=True)
class Reach:
    as_of: date
    overall: ReachRow
    by_model: tuple[ReachRow, ...]
    by_channel: tuple[ReachRow, ...]
    by_month: tuple[ReachRow, ...]  # by month of sale, the last 12 months
    delays: tuple[Delay, ...]
    mean_delay_days: float | None
    registered_without_sale: int


def reach(manufacturer_id: int, filters: Filters = EVERYTHING, *, as_of: date | None = None,
          months: int = 12) -> Reach:
    today = as_of or date.today()
    f = facts(manufacturer_id, filters, before=today + timedelta(days=1))
    models, _ = names(manufacturer_id)
    till = f.c.at_till == 1

    def rows(key, *where):
        return db.session.execute(select(key, func.count(), func.count(f.c.registered)).where(till, *where)
                                  .group_by(key)).all()

    overall = db.session.execute(select(func.count(), func.count(f.c.registered)).where(till)).one()
    by_model = [ReachRow(models.get(k, "?"), n, r) for k, n, r in rows(f.c.model_id)]
    by_channel = [ReachRow(k, n, r) for k, n, r in rows(f.c.channel)]
    last = month_of(today)
    counted = {k: (n, r) for k, n, r in rows(f.c.sold_m, f.c.sold_m > last - months)}
    by_month = [ReachRow(month_label(m), *counted.get(m, (0, 0))) for m in range(last - months + 1, last + 1)]

    delay = func.max(f.c.registered - f.c.sold, 0) if db.session.get_bind().dialect.name == "sqlite" \
        else func.greatest(f.c.registered - f.c.sold, 0)
    bucket = case(*[(delay >= first, i) for i, (_, first) in reversed(list(enumerate(DELAY_BUCKETS)))], else_=0)
    reg_where = (till, f.c.registered.is_not(None))
    counts = dict(db.session.execute(select(bucket, func.count()).where(*reg_where).group_by(bucket)).all())
    mean = db.session.scalar(select(func.avg(delay)).where(*reg_where))
    without = db.session.scalar(select(func.count()).where(f.c.at_till == 0, f.c.registered.is_not(None))) or 0
    return Reach(
        as_of=today, overall=ReachRow("All channels", overall[0], overall[1]),
        by_model=tuple(sorted(by_model, key=lambda r: (r.share, r.name))),
        by_channel=tuple(sorted(by_channel, key=lambda r: (r.share, r.name))), by_month=tuple(by_month),
        delays=tuple(Delay(label, counts.get(i, 0)) for i, (label, _) in enumerate(DELAY_BUCKETS)),
        mean_delay_days=None if mean is None else float(mean), registered_without_sale=without)


def csv_rows(report: Reach) -> list[list]:
    rows: list[list] = [["table", "name", "sold", "registered", "share"]]
    for table, items in (("overall", (report.overall,)), ("by_model", report.by_model),
                         ("by_channel", report.by_channel), ("by_sale_month", report.by_month)):
        rows += [[table, r.name, r.sold, r.registered, f"{r.share:.4f}"] for r in items]
    rows += [["days_to_registration", d.label, "", d.units, ""] for d in report.delays]
    rows.append(["registered_without_recorded_sale", "", "", report.registered_without_sale, ""])
    return rows
