"""US NHTSA: the Part 573 defect report (49 CFR 573.6(c))."""
from portal.recalls.regulator import Field

SLUG = "nhtsa-573"
TITLE = "NHTSA Part 573 defect report"
REGULATION = "49 CFR 573.6"

FIELDS = [
    Field("manufacturer", "Manufacturer (573.6(c)(1))", "the tenant's name", lambda f: f.doc.brand),
    Field("campaign_number", "Manufacturer's campaign number (573.6(c)(11))", "campaign: number",
          lambda f: f.campaign.number),
    Field("products", "Vehicles or equipment: make, model, GTIN (573.6(c)(2))", "campaign criteria: product models",
          lambda f: f.models),
    Field("manufacture_dates", "Inclusive dates of manufacture (573.6(c)(2))", "affected units: manufacture dates",
          lambda f: f"{f.made_from} to {f.made_to}" if f.made_from else ""),
    Field("identifiers", "Lots and serial ranges (573.6(c)(2))", "campaign criteria: lots, serial ranges",
          lambda f: f.codes),
    Field("population", "Total number potentially involved (573.6(c)(3))", "affected units (units of remedy)",
          lambda f: f.affected),
    Field("percentage", "Estimated percentage with the defect (573.6(c)(4))", "targeting: every unit is matched by "
          "its lot or serial", lambda f: "100%"),
    Field("defect", "Description of the defect (573.6(c)(5))", "campaign: hazard, what can happen",
          lambda f: f"{f.campaign.hazard} {f.campaign.consequence}".strip()),
    Field("chronology", "Chronology of events (573.6(c)(6))", "campaign: chronology and timeline",
          lambda f: f.chronology),
    Field("incidents", "Incidents, injuries, complaints (573.6(c)(6))", "campaign: incidents",
          lambda f: f.campaign.incidents),
    Field("remedy", "Description of the remedy program (573.6(c)(8))", "notice: remedies and what to do",
          lambda f: f"{f.remedies}. {f.doc.what_to_do}"),
    Field("schedule", "Owner notification schedule (573.6(c)(8))", "campaign: launched; deadlines",
          lambda f: f"Owner notices began {f.campaign.launched_at.date().isoformat()}; due by "
                    f"{f.deadline['owner-notice-60'].due}" if f.campaign.launched_at else ""),
    Field("determined_on", "Date the defect was determined", "campaign: defect determined on",
          lambda f: f.campaign.determined_on),
    Field("due", "Report due (5 working days, 573.6(b))", "deadlines", lambda f: f.deadline["nhtsa-573"].due),
]
