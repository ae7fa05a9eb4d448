"""US CPSC: the Section 15(b) report, its "full report" questions (16 CFR 1115.13(d))."""
from portal.recalls.regulator import Field

SLUG = "cpsc-15b"
TITLE = "CPSC Section 15(b) report"
REGULATION = "Consumer Product Safety Act §15(b); 16 CFR 1115.13(d)"

FIELDS = [
    Field("firm", "Manufacturer (brand)", "the tenant's name", lambda f: f.doc.brand),
    Field("contact", "Person to contact", "campaign: contact line, free phone", lambda f: [f.campaign.contact,
                                                                                      f.campaign.contact_phone]),
    Field("products", "Products: names and models (GTIN)", "campaign criteria: product models", lambda f: f.models),
    Field("date_codes", "Date codes: lots and serial ranges", "campaign criteria: lots, serial ranges",
          lambda f: f.codes),
    Field("identifying_marks", "Identifying marks and where they are", "notice: where to find the identifiers",
          lambda f: f.doc.identifier_location),
    Field("manufacture_dates", "Inclusive dates of manufacture", "affected units: manufacture dates",
          lambda f: f"{f.made_from} to {f.made_to}" if f.made_from else ""),
    Field("units", "Number of units affected", "affected units (units of remedy)", lambda f: f.affected),
    Field("units_sold", "Units sold (estimate)", "campaign: units sold",
          lambda f: f.campaign.units_sold if f.campaign.units_sold is not None else f.affected),
    Field("sale", "When, where and by whom sold", "notice: sales period, places, sellers", lambda f: f.sold),
    Field("defect", "Nature of the defect or risk", "campaign: hazard", lambda f: f.campaign.hazard),
    Field("injury", "Nature of the injury or possible injury", "campaign: what can happen",
          lambda f: f.campaign.consequence),
    Field("incidents", "Complaints, incidents and injuries reported", "campaign: incidents",
          lambda f: f.campaign.incidents),
    Field("information_obtained", "When the information was obtained", "campaign: defect determined on",
          lambda f: f.campaign.determined_on),
    Field("chronology", "Chronology of events", "campaign: chronology and timeline", lambda f: f.chronology),
    Field("corrective_action", "Corrective action proposed", "notice: remedies and what to do",
          lambda f: f"{f.remedies}. {f.doc.what_to_do}"),
    Field("due", "Report due", "deadlines: 16 CFR 1115.14(e)", lambda f: f.deadline["cpsc-15b"].due),
]
