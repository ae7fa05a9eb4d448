"""US CPSC: the Section 15(b) report, its "full report" questions (16 CFR 1115.13(d))."""
from portal.recalls.regulator import N_, Field

SLUG = "cpsc-15b"
TITLE = N_("CPSC Section 15(b) report")
REGULATION = N_("Consumer Product Safety Act §15(b); 16 CFR 1115.13(d)")

FIELDS = [
    Field("firm", N_("Manufacturer (brand)"), N_("the tenant's name"), lambda f: f.doc.brand),
    Field("contact", N_("Person to contact"), N_("campaign: contact line, free phone"), lambda f: [f.campaign.contact,
                                                                                      f.campaign.contact_phone]),
    Field("products", N_("Products: names and models (GTIN)"), N_("campaign criteria: product models"), lambda f: f.models),
    Field("date_codes", N_("Date codes: lots and serial ranges"), N_("campaign criteria: lots, serial ranges"),
          lambda f: f.codes),
    Field("identifying_marks", N_("Identifying marks and where they are"), N_("notice: where to find the identifiers"),
          lambda f: f.doc.identifier_location),
    Field("manufacture_dates", N_("Inclusive dates of manufacture"), N_("affected units: manufacture dates"),
          lambda f: f"{f.made_from} to {f.made_to}" if f.made_from else ""),
    Field("units", N_("Number of units affected"), N_("affected units (units of remedy)"), lambda f: f.affected),
    Field("units_sold", N_("Units sold (estimate)"), N_("campaign: units sold"),
          lambda f: f.campaign.units_sold if f.campaign.units_sold is not None else f.affected),
    Field("sale", N_("When, where and by whom sold"), N_("notice: sales period, places, sellers"), lambda f: f.sold),
    Field("defect", N_("Nature of the defect or risk"), N_("campaign: hazard"), lambda f: f.campaign.hazard),
    Field("injury", N_("Nature of the injury or possible injury"), N_("campaign: what can happen"),
          lambda f: f.campaign.consequence),
    Field("incidents", N_("Complaints, incidents and injuries reported"), N_("campaign: incidents"),
          lambda f: f.campaign.incidents),
    Field("information_obtained", N_("When the information was obtained"), N_("campaign: defect determined on"),
          lambda f: f.campaign.determined_on),
    Field("chronology", N_("Chronology of events"), N_("campaign: chronology and timeline"), lambda f: f.chronology),
    Field("corrective_action", N_("Corrective action proposed"), N_("notice: remedies and what to do"),
          lambda f: f"{f.remedies}. {f.doc.what_to_do}"),
    Field("due", N_("Report due"), N_("deadlines: 16 CFR 1115.14(e)"), lambda f: f.deadline["cpsc-15b"].due),
]
