"""US NHTSA: the quarterly owner-notification and completion report (49 CFR 573.7), for eight quarters, then
annually; the table holds every quarter from the campaign's dated remedies and removals."""
from portal.recalls.regulator import N_, Field

SLUG = "nhtsa-quarterly"
TITLE = N_("NHTSA quarterly recall report")
REGULATION = N_("49 CFR 573.7")


def _removed(f, *reasons) -> int:
    return sum(n for reason, n in f.removed.items() if reason in reasons)


FIELDS = [
    Field("campaign_number", N_("Manufacturer's campaign number"), N_("campaign: number"), lambda f: f.campaign.number),
    Field("notification_began", N_("Date owner notification began"), N_("campaign: launched"),
          lambda f: f.campaign.launched_at and f.campaign.launched_at.date()),
    Field("population", N_("Number of units involved"), N_("affected units (units of remedy)"), lambda f: f.affected),
    Field("notified", N_("Units whose owner was notified"), N_("affected units: notified"), lambda f: f.notified_units),
    Field("remedied", N_("Units remedied to date"), N_("affected units: remedied"), lambda f: f.reach.remedied),
    Field("exported", N_("Units removed: exported"), N_("affected units: removed as exported"),
          lambda f: _removed(f, "exported")),
    Field("stolen", N_("Units removed: stolen"), N_("affected units: removed as stolen"), lambda f: _removed(f, "stolen")),
    Field("scrapped", N_("Units removed: scrapped"), N_("affected units: removed as scrapped"),
          lambda f: _removed(f, "scrapped")),
    Field("unreachable", N_("Units removed: owner unreachable"), N_("affected units: removed as unreachable"),
          lambda f: _removed(f, "unreachable")),
    Field("completion", N_("Completion rate"), N_("remedied / (affected - removed)"), lambda f: f"{f.reach.completion:.1%}"),
    Field("next_due", N_("Next report due"), N_("deadlines: 49 CFR 573.7"),
          lambda f: next((d.due for d in f.deadlines if d.key.startswith("nhtsa-") and d.key[6:9] in ("qua", "ann")
                          and d.state in ("due", "late")), "")),
]


def table(f) -> list[list]:
    return f.quarters
