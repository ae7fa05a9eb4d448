"""The legal deadlines of a campaign, computed from its timeline by one function (the console's timeline and
the regulator reports both call `deadlines`).

The clock starts on `determined_on`, the day the manufacturer determined the defect or obtained reportable
information (the draft's "Defect determined on"); owner notices start at launch.

- CPSC, 16 CFR 1115.14(e): the Section 15(b) report within 24 hours of obtaining reportable information.
- CPSC Fast Track: the corrective action plan in place within 20 working days of the report.
- NHTSA, 49 CFR 573.6(b): the Part 573 defect report within 5 working days of the determination.
- NHTSA, 49 CFR 577.7(a): owner notification within 60 days of the Part 573 report.
- NHTSA, 49 CFR 573.7: a quarterly report 30 days after the end of each of eight consecutive quarters from
  the quarter owner notification began, then an annual report for each of the following three years.
- EU, Regulation (EU) 2023/988 Art. 20 and 35: the notification through the Safety Business Gateway and the
  recall notice to consumers without undue delay: counted here as due on the day of the determination.

Working days skip Saturdays and Sundays only (public holidays are the recall manager's to allow for). A
report is done when the recall manager marks it filed on its report page; owner notices when launched.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from portal.recalls.models import RecallCampaign


@dataclass(frozen=True)
class Deadline:
    key: str
    label: str  # in the reader's language (the console shows it; no export carries it)
    rule: str  # the provision it comes from
    due: date | None  # None: the campaign lacks the date it counts from
    done_on: date | None
    today: date

    @property
    def state(self) -> str:
        if self.done_on is not None:
            return "late" if self.due is not None and self.done_on > self.due else "done"
        if self.due is None:
            return "unknown"
        return "late" if self.today > self.due else "due"


def add_working_days(start: date, days: int) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _quarter_end(day: date) -> date:
    month = ((day.month - 1) // 3 + 1) * 3
    first_next = date(day.year + (month == 12), 1 if month == 12 else month + 1, 1)
    return first_next - timedelta(days=1)


def filings(campaign: RecallCampaign, report: str) -> list[date]:
    """The days the recall manager marked the report filed (recalls.regulator.save_edits), oldest first."""
    days = (json.loads(campaign.report_edits or "{}").get(report) or {}).get("filings") or []
    return [date.fromisoformat(d) for d in days]


def filed_on(campaign: RecallCampaign, report: str, after: date | None = None) -> date | None:
    """The first filing of the report (after `after`, for a report made once a period)."""
    return next((d for d in filings(campaign, report) if after is None or d > after), None)


def deadlines(campaign: RecallCampaign, today: date | None = None) -> list[Deadline]:
    today = today or date.today()
    start, launched = campaign.determined_on, campaign.launched_at.date() if campaign.launched_at else None
    nhtsa_573 = add_working_days(start, 5) if start else None
    cpsc = start + timedelta(days=1) if start else None
    part_573_filed = filed_on(campaign, "nhtsa-573")
    items = [
        Deadline("cpsc-15b", _("CPSC Section 15(b) report"), "16 CFR 1115.14(e)", cpsc, filed_on(campaign, "cpsc-15b"),
                 today),
        Deadline("cpsc-fast-track", _("CPSC Fast Track corrective action plan"), _("CPSC Fast Track program"),
                 add_working_days(cpsc, 20) if cpsc else None, filed_on(campaign, "cpsc-fast-track"), today),
        Deadline("nhtsa-573", _("NHTSA Part 573 defect report"), "49 CFR 573.6(b)", nhtsa_573, part_573_filed, today),
        Deadline("owner-notice-60", _("NHTSA owner notification"), "49 CFR 577.7(a)",
                 (part_573_filed or nhtsa_573) + timedelta(days=60) if (part_573_filed or nhtsa_573) else None,
                 launched, today),
        Deadline("eu-business-gateway", _("EU Safety Business Gateway notification"),
                 _("Regulation (EU) 2023/988 Art. 20"),
                 start, filed_on(campaign, "eu-business-gateway"), today),
        Deadline("eu-consumer-notice", _("EU recall notice to consumers"), _("Regulation (EU) 2023/988 Art. 35-36"),
                 start, launched, today),
    ]
    if launched:
        quarter_end = _quarter_end(launched)
        for n in range(1, 9):
            items.append(Deadline(f"nhtsa-quarterly-{n}", _("NHTSA quarterly report %(n)s of 8 (quarter ending %(day)s)",
                                                            n=n, day=quarter_end.isoformat()), "49 CFR 573.7",
                                  quarter_end + timedelta(days=30), filed_on(campaign, "nhtsa-quarterly", quarter_end),
                                  today))
            last_quarter, quarter_end = quarter_end, _quarter_end(quarter_end + timedelta(days=1))
        for n in range(1, 4):  # quarter ends fall on the same day every year
            year_end = last_quarter.replace(year=last_quarter.year + n)
            items.append(Deadline(f"nhtsa-annual-{n}", _("NHTSA annual report %(n)s of 3 (year ending %(day)s)",
                                                         n=n, day=year_end.isoformat()), "49 CFR 573.7",
                                  year_end + timedelta(days=30), filed_on(campaign, "nhtsa-quarterly", year_end),
                                  today))
    return items
