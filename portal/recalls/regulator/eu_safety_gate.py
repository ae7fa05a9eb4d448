"""EU: the fields Safety Gate publishes about a recall (the public alert's product, risk and measures)."""
from portal.recalls.regulator import N_, Field

SLUG = "eu-safety-gate"
TITLE = N_("EU Safety Gate public fields")
REGULATION = N_("Regulation (EU) 2023/988, Art. 25-26 (Safety Gate)")

FIELDS = [
    Field("product", N_("Product"), N_("campaign criteria: product models"), lambda f: f.doc.product_names),
    Field("brand", N_("Brand"), N_("the tenant's name"), lambda f: f.doc.brand),
    Field("type_model", N_("Type / number of model"), N_("campaign criteria: product models"), lambda f: f.models),
    Field("barcode", N_("Barcode"), N_("product models: GTIN"),
          lambda f: [i.removeprefix("GTIN ") for i in f.doc.identifiers if i.startswith("GTIN")]),
    Field("batch", N_("Batch number"), N_("campaign criteria: lots, serial ranges"), lambda f: f.codes),
    Field("description", N_("Description"), N_("notice: product description"), lambda f: f.campaign.product_description),
    Field("risk_type", N_("Risk type"), N_("campaign: severity"), lambda f: f.campaign.severity),
    Field("risk", N_("Risk description"), N_("campaign: hazard, what can happen"),
          lambda f: f"{f.campaign.hazard} {f.campaign.consequence}".strip()),
    Field("measures", N_("Measures adopted by economic operators"), N_("campaign: recall and remedies"),
          lambda f: f"Recall of the product from end users ({f.remedies})"),
    Field("countries", N_("Products were found and measures taken in"), N_("notice: countries of sale"),
          lambda f: f.campaign.country_codes),
]
