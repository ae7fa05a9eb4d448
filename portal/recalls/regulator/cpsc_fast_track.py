"""US CPSC: the Fast Track corrective action plan (remedy, notice to consumers, reach, schedule)."""
from portal.recalls.notices import public_link
from portal.recalls.regulator import N_, Field

SLUG = "cpsc-fast-track"
TITLE = N_("CPSC Fast Track corrective action plan")
REGULATION = N_("CPSC Fast Track recall program; 16 CFR 1115.20 (voluntary corrective action plans)")

FIELDS = [
    Field("firm", N_("Firm"), N_("the tenant's name"), lambda f: f.doc.brand),
    Field("products", N_("Products (GTIN)"), N_("campaign criteria: product models"), lambda f: f.models),
    Field("identification", N_("How consumers identify the product"), N_("notice: identifiers and where to find them"),
          lambda f: f"{f.codes}. {f.doc.identifier_location}"),
    Field("units", N_("Units affected"), N_("affected units (units of remedy)"), lambda f: f.affected),
    Field("hazard", N_("Hazard"), N_("campaign: hazard"), lambda f: f.campaign.hazard),
    Field("remedy", N_("Remedy offered free of charge"), N_("notice: remedies"), lambda f: f.remedies),
    Field("consumer_action", N_("What consumers should do"), N_("notice: what to do"),
          lambda f: ("Stop using the product immediately. " if f.doc.stop_using else "") + f.doc.what_to_do),
    Field("direct_notice", N_("Direct notice to consumers"), N_("reach: owners by account, safety-only contacts, letters"),
          lambda f: f"{f.reach.by_account} units by e-mail to their owner's account, {f.reach.by_contact} by "
                    f"safety-only contact, {f.reach.by_letter} by printed letter; direct reach {f.reach.share:.0%}"),
    Field("public_notice", N_("Public notice"), N_("the campaign's public notice page and poster"),
          lambda f: f"Public notice page {public_link(f.campaign)}, its shop poster (PDF) and the Atom feed of "
                    f"active recalls"),
    Field("consumer_contact", N_("Toll-free number and web site"), N_("notice: free phone and online service"),
          lambda f: [f.doc.phone, f.doc.online]),
    Field("start", N_("Start of the corrective action"), N_("campaign: launched"), lambda f: f.campaign.launched_at and
          f.campaign.launched_at.date()),
    Field("due", N_("Plan due (20 working days from the report)"), N_("deadlines"), lambda f: f.deadline["cpsc-fast-track"].due),
]
