"""EU: the notification to the Safety Business Gateway (Regulation (EU) 2023/988 Art. 9(8), 20 and 35)."""
from portal.recalls.regulator import Field

SLUG = "eu-business-gateway"
TITLE = "EU Safety Business Gateway notification"
REGULATION = "Regulation (EU) 2023/988, Art. 9(8), 20 and 35"

FIELDS = [
    Field("economic_operator", "Economic operator (manufacturer)", "the tenant's name", lambda f: f.doc.brand),
    Field("contact", "Contact", "campaign: contact line, free phone, online service",
          lambda f: [f.campaign.contact, f.doc.phone, f.doc.online]),
    Field("product_name", "Product name", "campaign criteria: product models", lambda f: f.doc.product_names),
    Field("brand", "Brand", "the tenant's name", lambda f: f.doc.brand),
    Field("type_model", "Type or model, barcode (GTIN)", "campaign criteria: product models", lambda f: f.models),
    Field("batch", "Batch and serial numbers", "campaign criteria: lots, serial ranges", lambda f: f.codes),
    Field("description", "Description of the product", "notice: product description",
          lambda f: f.campaign.product_description),
    Field("pictures", "Pictures", "notice: product picture, picture of the identifiers",
          lambda f: ["product picture" if f.doc.picture else "",
                     "picture of the identifiers" if f.doc.identifier_picture else ""]),
    Field("countries", "Countries where the product was made available", "notice: countries of sale",
          lambda f: f.campaign.country_codes),
    Field("units", "Number of units concerned", "affected units (units of remedy)", lambda f: f.affected),
    Field("risk_type", "Risk level", "campaign: severity", lambda f: f.campaign.severity),
    Field("risk_description", "Description of the risk", "campaign: hazard, what can happen",
          lambda f: f"{f.campaign.hazard} {f.campaign.consequence}".strip()),
    Field("accidents", "Accidents and incidents", "campaign: incidents", lambda f: f.campaign.incidents),
    Field("measures", "Measures taken", "campaign: recall and remedies",
          lambda f: f"Recall from consumers; remedies free of charge: {f.remedies}"),
    Field("measures_date", "Date of the measures", "campaign: launched",
          lambda f: f.campaign.launched_at and f.campaign.launched_at.date()),
]
