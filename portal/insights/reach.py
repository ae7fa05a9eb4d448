"""Reach: of the units a till (or an EPCIS partner) recorded as sold, how many have been registered by an
owner, so that a recall notice would find someone; and how long owners took to register.

Only units with a recorded sale count: a unit the portal knows only through its registration is reached by
definition and would flatter the share (those are counted apart, `registered_without_sale`). A unit counts
as reached once it was ever registered, whoever owns it now; a sold unit nobody registered but for which
someone left a safety-only contact (recalls) counts as reachable, apart. Days to registration run from the sale date to
the UTC date of the first registration.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from portal.extensions import db
from portal.insights.facts import EVERYTHING, Filters, facts, names
from portal.insights.sql import month_label, month_of
from portal.recalls.models import SafetyContact

#: (label, first day) of the days-to-registration buckets.
DELAY_BUCKETS = (("same day", 0), ("1–7 days", 1), ("8–30 days", 8), ("31–90 days", 31), ("over 90 days", 91))
#: The labels as the pages show them (translated in the templates: the CSV keeps them in English).
DELAY_LABELS = (_l("same day"), _l("1–7 days"), _l("8–30 days"), _l("31–90 days"), _l("over 90 days"))


@dataclass(frozen=True)
class ReachRow:
    name: str
    sold: int
    registered: int
    #: sold units not registered, but with a safety-only contact (recalls.SafetyContact)
    safety_only: int = 0

    @property
    def share(self) -> float:
        return self.registered / self.sold if self.sold else 0.0

    @property
    def reachable(self) -> float:
        """Share a recall notice would reach: registered, or with a safety-only contact."""
        return (self.registered + self.safety_only) / self.sold if self.sold else 0.0


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

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(sorted(r.name for r in self.by_channel if r.name))


def reach(manufacturer_id: int, filters: Filters = EVERYTHING, *, as_of: date | None = None,
          months: int = 12) -> Reach:
    """One grouped statement (by model, channel, month of sale, recorded sale or not, registered or not and
    days-to-registration bucket); every table is a sum of its rows."""
    today = as_of or date.today()
    f = facts(manufacturer_id, filters, before=today + timedelta(days=1))
    models, _ = names(manufacturer_id)
    gap = f.c.registered - f.c.sold
    delay = case((gap > 0, gap), else_=0)
    bucket = case(*[(delay >= first, i) for i, (_, first) in reversed(list(enumerate(DELAY_BUCKETS)))], else_=0)
    registered = case((f.c.registered.is_not(None), 1), else_=0)
    contacts = (select(SafetyContact.unit_id).where(SafetyContact.manufacturer_id == manufacturer_id)
                .distinct().subquery("contacts"))
    contact = case((contacts.c.unit_id.is_not(None), 1), else_=0)
    last = month_of(today)
    totals = [0, 0, 0]
    per_model, per_channel, per_month = (defaultdict(lambda: [0, 0, 0]) for _ in range(3))
    delays: dict[int, int] = defaultdict(int)
    delay_days, without = 0, 0
    for model, channel, sold_m, till, reg, safe, b, n, days in db.session.execute(
        select(f.c.model_id, f.c.channel, f.c.sold_m, f.c.at_till, registered, contact, bucket, func.count(),
               func.sum(delay))
        .outerjoin(contacts, contacts.c.unit_id == f.c.unit_id)
        .where(f.c.sold.is_not(None) | f.c.registered.is_not(None))
        .group_by(f.c.model_id, f.c.channel, f.c.sold_m, f.c.at_till, registered, contact, bucket)
    ):
        if not till:
            without += n if reg else 0
            continue
        for counts in (totals, per_model[model], per_channel[channel], per_month[sold_m]):
            counts[0] += n
            counts[1] += n if reg else 0
            counts[2] += n if safe and not reg else 0
        if reg:
            delays[b] += n
            delay_days += int(days or 0)
    by_model = [ReachRow(models.get(k, "?"), *v) for k, v in per_model.items()]
    by_channel = [ReachRow(k, *v) for k, v in per_channel.items()]
    by_month = [ReachRow(month_label(m), *per_month.get(m, (0, 0, 0))) for m in range(last - months + 1, last + 1)]
    reached = sum(delays.values())
    return Reach(
        as_of=today, overall=ReachRow("All channels", *totals),
        by_model=tuple(sorted(by_model, key=lambda r: (r.share, r.name))),
        by_channel=tuple(sorted(by_channel, key=lambda r: (r.share, r.name))), by_month=tuple(by_month),
        delays=tuple(Delay(label, delays.get(i, 0)) for i, (label, _) in enumerate(DELAY_BUCKETS)),
        mean_delay_days=delay_days / reached if reached else None, registered_without_sale=without)


def csv_rows(report: Reach) -> list[list]:
    rows: list[list] = [["table", "name", "sold", "registered", "share", "safety_contact_only", "reachable_share"]]
    for table, items in (("overall", (report.overall,)), ("by_model", report.by_model),
                         ("by_channel", report.by_channel), ("by_sale_month", report.by_month)):
        rows += [[table, r.name, r.sold, r.registered, f"{r.share:.4f}", r.safety_only, f"{r.reachable:.4f}"]
                 for r in items]
    rows += [["days_to_registration", d.label, "", d.units, "", "", ""] for d in report.delays]
    rows.append(["registered_without_recorded_sale", "", "", report.registered_without_sale, "", "", ""])
    return rows
