"""US CPSC: the Fast Track corrective action plan (remedy, notice to consumers, reach, schedule)."""
from portal.recalls.notices import public_link
from portal.recalls.regulator import Field

SLUG = "cpsc-fast-track"
TITLE = "CPSC Fast Track corrective action plan"
REGULATION = "CPSC Fast Track recall program; 16 CFR 1115.20 (voluntary corrective action plans)"

FIELDS = [
    Field("firm", "Firm", "the tenant's name", lambda f: f.doc.brand),
    Field("products", "Products (GTIN)", "campaign criteria: product models", lambda f: f.models),
    Field("identification", "How consumers identify the product", "notice: identifiers and where to find them",
          lambda f: f"{f.codes}. {f.doc.identifier_location}"),
    Field("units", "Units affected", "affected units (units of remedy)", lambda f: f.affected),
    Field("hazard", "Hazard", "campaign: hazard", lambda f: f.campaign.hazard),
    Field("remedy", "Remedy offered free of charge", "notice: remedies", lambda f: f.remedies),
    Field("consumer_action", "What consumers should do", "notice: what to do",
          lambda f: ("Stop using the product immediately. " if f.doc.stop_using else "") + f.doc.what_to_do),
    Field("direct_notice", "Direct notice to consumers", "reach: owners by account, safety-only contacts, letters",
          lambda f: f"{f.reach.by_account} units by e-mail to their owner's account, {f.reach.by_contact} by "
                    f"safety-only contact, {f.reach.by_letter} by printed letter; direct reach {f.reach.share:.0%}"),
    Field("public_notice", "Public notice", "the campaign's public notice page and poster",
          lambda f: f"Public notice page {public_link(f.campaign)}, its shop poster (PDF) and the Atom feed of "
                    f"active recalls"),
    Field("consumer_contact", "Toll-free number and web site", "notice: free phone and online service",
          lambda f: [f.doc.phone, f.doc.online]),
    Field("start", "Start of the corrective action", "campaign: launched", lambda f: f.campaign.launched_at and
          f.campaign.launched_at.date()),
    Field("due", "Plan due (20 working days from the report)", "deadlines", lambda f: f.deadline["cpsc-fast-track"].due),
]
