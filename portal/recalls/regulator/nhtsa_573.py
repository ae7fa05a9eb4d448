"""US NHTSA: the Part 573 defect report (49 CFR 573.6(c))."""
from portal.recalls.regulator import N_, Field

SLUG = "nhtsa-573"
TITLE = N_("NHTSA Part 573 defect report")
REGULATION = N_("49 CFR 573.6")

FIELDS = [
    Field("manufacturer", N_("Manufacturer (573.6(c)(1))"), N_("the tenant's name"), lambda f: f.doc.brand),
    Field("campaign_number", N_("Manufacturer's campaign number (573.6(c)(11))"), N_("campaign: number"),
          lambda f: f.campaign.number),
    Field("products", N_("Vehicles or equipment: make, model, GTIN (573.6(c)(2))"), N_("campaign criteria: product models"),
          lambda f: f.models),
    Field("manufacture_dates", N_("Inclusive dates of manufacture (573.6(c)(2))"), N_("affected units: manufacture dates"),
          lambda f: f"{f.made_from} to {f.made_to}" if f.made_from else ""),
    Field("identifiers", N_("Lots and serial ranges (573.6(c)(2))"), N_("campaign criteria: lots, serial ranges"),
          lambda f: f.codes),
    Field("population", N_("Total number potentially involved (573.6(c)(3))"), N_("affected units (units of remedy)"),
          lambda f: f.affected),
    Field("percentage", N_("Estimated percentage with the defect (573.6(c)(4))"), N_("targeting: every unit is matched by "
                                                                                   "its lot or serial"), lambda f: "100%"),
    Field("defect", N_("Description of the defect (573.6(c)(5))"), N_("campaign: hazard, what can happen"),
          lambda f: f"{f.campaign.hazard} {f.campaign.consequence}".strip()),
    Field("chronology", N_("Chronology of events (573.6(c)(6))"), N_("campaign: chronology and timeline"),
          lambda f: f.chronology),
    Field("incidents", N_("Incidents, injuries, complaints (573.6(c)(6))"), N_("campaign: incidents"),
          lambda f: f.campaign.incidents),
    Field("remedy", N_("Description of the remedy program (573.6(c)(8))"), N_("notice: remedies and what to do"),
          lambda f: f"{f.remedies}. {f.doc.what_to_do}"),
    Field("schedule", N_("Owner notification schedule (573.6(c)(8))"), N_("campaign: launched; deadlines"),
          lambda f: f"Owner notices began {f.campaign.launched_at.date().isoformat()}; due by "
                    f"{f.deadline['owner-notice-60'].due}" if f.campaign.launched_at else ""),
    Field("determined_on", N_("Date the defect was determined"), N_("campaign: defect determined on"),
          lambda f: f.campaign.determined_on),
    Field("due", N_("Report due (5 working days, 573.6(b))"), N_("deadlines"), lambda f: f.deadline["nhtsa-573"].due),
]
