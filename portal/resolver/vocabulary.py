"""The link types the resolver speaks: GS1 Web Vocabulary terms (https://gs1.org/voc/), nothing of its own.

A request may name a type three ways (docs/resolver.md): the compact `gs1:pip`, the vocabulary URI
`https://gs1.org/voc/pip`, or the `https://ref.gs1.org/voc/pip` form the GS1 reference pages use. All of them
come down to the term (`pip`) here. The portal adds no type of its own: every link it publishes has a GS1 term.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

GS1_VOC = "https://gs1.org/voc/"
_PREFIXES = ("gs1:", "https://gs1.org/voc/", "http://gs1.org/voc/", "https://ref.gs1.org/voc/",
             "https://www.gs1.org/voc/")

DEFAULT_LINK = "defaultLink"
HANDLED_BY = "handledBy"

#: The terms the portal publishes or lets manufacturers publish, with a title in the reader's language.
TITLES = {
    "pip": _l("Product information"),
    "verificationService": _l("Check that it is genuine"),
    "registerProduct": _l("Register it as yours"),
    "recallStatus": _l("Recall status"),
    "serviceInfo": _l("Warranty and service"),
    "certificationInfo": _l("Ownership and warranty certificate"),
    "epcis": _l("Event history (EPCIS)"),
    "productPassport": _l("Product passport"),
    "dpp": _l("Digital product passport"),
    "instructions": _l("Instructions"),
    "support": _l("Support"),
    "repairInfo": _l("Repair information"),
    "recyclingInfo": _l("Recycling information"),
    "sustainabilityInfo": _l("Sustainability information"),
    "safetyInfo": _l("Safety information"),
    "quickStartGuide": _l("Quick start guide"),
    "faqs": _l("Frequently asked questions"),
    "relatedVideo": _l("Related video"),
    "homepage": _l("Brand home page"),
    "purchaseSuppliesOrAccessories": _l("Supplies and accessories"),
    "whatsInTheBox": _l("What's in the box"),
    "traceability": _l("Traceability information"),
    "masterData": _l("Master data"),
    "handledBy": _l("Resolved by another resolver"),
}
#: Terms manufacturers may give their own links (every GS1 term above but the resolver's own default marker).
MANAGED_TYPES = tuple(sorted(TITLES))


def term_of(given: str | None) -> str | None:
    """The GS1 term a requested link type names (`gs1:pip` -> `pip`), or None when it names none."""
    if not given:
        return None
    for prefix in _PREFIXES:
        if given.startswith(prefix):
            term = given[len(prefix):]
            return term if term and term.replace("_", "").isalnum() else None
    return None


def uri_of(term: str) -> str:
    """The vocabulary URI a linkset uses as the relation type."""
    return GS1_VOC + term


def title_of(term: str):
    """The type's title, translated when it is first read (a redirect never reads it: gettext costs)."""
    return TITLES.get(term, term)
