"""EU: the fields Safety Gate publishes about a recall (the public alert's product, risk and measures)."""
from portal.recalls.regulator import Field

SLUG = "eu-safety-gate"
TITLE = "EU Safety Gate public fields"
REGULATION = "Regulation (EU) 2023/988, Art. 25-26 (Safety Gate)"

FIELDS = [
    Field("product", "Product", "campaign criteria: product models", lambda f: f.doc.product_names),
    Field("brand", "Brand", "the tenant's name", lambda f: f.doc.brand),
    Field("type_model", "Type / number of model", "campaign criteria: product models", lambda f: f.models),
    Field("barcode", "Barcode", "product models: GTIN",
          lambda f: [i.removeprefix("GTIN ") for i in f.doc.identifiers if i.startswith("GTIN")]),
    Field("batch", "Batch number", "campaign criteria: lots, serial ranges", lambda f: f.codes),
    Field("description", "Description", "notice: product description", lambda f: f.campaign.product_description),
    Field("risk_type", "Risk type", "campaign: severity", lambda f: f.campaign.severity),
    Field("risk", "Risk description", "campaign: hazard, what can happen",
          lambda f: f"{f.campaign.hazard} {f.campaign.consequence}".strip()),
    Field("measures", "Measures adopted by economic operators", "campaign: recall and remedies",
          lambda f: f"Recall of the product from end users ({f.remedies})"),
    Field("countries", "Products were found and measures taken in", "notice: countries of sale",
          lambda f: f.campaign.country_codes),
]
