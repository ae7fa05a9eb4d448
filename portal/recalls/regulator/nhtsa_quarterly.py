"""US NHTSA: the quarterly owner-notification and completion report (49 CFR 573.7), for eight quarters, then
annually; the table holds every quarter from the campaign's dated remedies and removals."""
from portal.recalls.regulator import Field

SLUG = "nhtsa-quarterly"
TITLE = "NHTSA quarterly recall report"
REGULATION = "49 CFR 573.7"


def _removed(f, *reasons) -> int:
    return sum(n for reason, n in f.removed.items() if reason in reasons)


FIELDS = [
    Field("campaign_number", "Manufacturer's campaign number", "campaign: number", lambda f: f.campaign.number),
    Field("notification_began", "Date owner notification began", "campaign: launched",
          lambda f: f.campaign.launched_at and f.campaign.launched_at.date()),
    Field("population", "Number of units involved", "affected units (units of remedy)", lambda f: f.affected),
    Field("notified", "Units whose owner was notified", "affected units: notified", lambda f: f.notified_units),
    Field("remedied", "Units remedied to date", "affected units: remedied", lambda f: f.reach.remedied),
    Field("exported", "Units removed: exported", "affected units: removed as exported",
          lambda f: _removed(f, "exported")),
    Field("stolen", "Units removed: stolen", "affected units: removed as stolen", lambda f: _removed(f, "stolen")),
    Field("scrapped", "Units removed: scrapped", "affected units: removed as scrapped",
          lambda f: _removed(f, "scrapped")),
    Field("unreachable", "Units removed: owner unreachable", "affected units: removed as unreachable",
          lambda f: _removed(f, "unreachable")),
    Field("completion", "Completion rate", "remedied / (affected - removed)", lambda f: f"{f.reach.completion:.1%}"),
    Field("next_due", "Next report due", "deadlines: 49 CFR 573.7",
          lambda f: next((d.due for d in f.deadlines if d.key.startswith("nhtsa-") and d.key[6:9] in ("qua", "ann")
                          and d.state in ("due", "late")), "")),
]


def table(f) -> list[list]:
    return f.quarters
