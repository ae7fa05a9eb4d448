"""EU: the notification to the Safety Business Gateway (Regulation (EU) 2023/988 Art. 9(8), 20 and 35)."""
from portal.recalls.regulator import N_, Field

SLUG = "eu-business-gateway"
TITLE = N_("EU Safety Business Gateway notification")
REGULATION = N_("Regulation (EU) 2023/988, Art. 9(8), 20 and 35")

FIELDS = [
    Field("economic_operator", N_("Economic operator (manufacturer)"), N_("the tenant's name"), lambda f: f.doc.brand),
    Field("contact", N_("Contact"), N_("campaign: contact line, free phone, online service"),
          lambda f: [f.campaign.contact, f.doc.phone, f.doc.online]),
    Field("product_name", N_("Product name"), N_("campaign criteria: product models"), lambda f: f.doc.product_names),
    Field("brand", N_("Brand"), N_("the tenant's name"), lambda f: f.doc.brand),
    Field("type_model", N_("Type or model, barcode (GTIN)"), N_("campaign criteria: product models"), lambda f: f.models),
    Field("batch", N_("Batch and serial numbers"), N_("campaign criteria: lots, serial ranges"), lambda f: f.codes),
    Field("description", N_("Description of the product"), N_("notice: product description"),
          lambda f: f.campaign.product_description),
    Field("pictures", N_("Pictures"), N_("notice: product picture, picture of the identifiers"),
          lambda f: ["product picture" if f.doc.picture else "",
                     "picture of the identifiers" if f.doc.identifier_picture else ""]),
    Field("countries", N_("Countries where the product was made available"), N_("notice: countries of sale"),
          lambda f: f.campaign.country_codes),
    Field("units", N_("Number of units concerned"), N_("affected units (units of remedy)"), lambda f: f.affected),
    Field("risk_type", N_("Risk level"), N_("campaign: severity"), lambda f: f.campaign.severity),
    Field("risk_description", N_("Description of the risk"), N_("campaign: hazard, what can happen"),
          lambda f: f"{f.campaign.hazard} {f.campaign.consequence}".strip()),
    Field("accidents", N_("Accidents and incidents"), N_("campaign: incidents"), lambda f: f.campaign.incidents),
    Field("measures", N_("Measures taken"), N_("campaign: recall and remedies"),
          lambda f: f"Recall from consumers; remedies free of charge: {f.remedies}"),
    Field("measures_date", N_("Date of the measures"), N_("campaign: launched"),
          lambda f: f.campaign.launched_at and f.campaign.launched_at.date()),
]
