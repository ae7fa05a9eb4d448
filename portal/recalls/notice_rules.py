"""The recall notice as a document with required elements: one rule, checked before launch.

Regulation (EU) 2023/988 (GPSR), Art. 36(2): a written recall notice has (a) the heading "Product safety
recall"; (b) a description of the product: picture, name, brand, batch or serial numbers and where to find
them on the product (a picture, the identifiers also in text), when, where and by whom it was sold; (c) the
hazard; (d) what consumers should do, including to stop using the product at once where that applies; (e)
the remedies; (f) a free phone number or an interactive online service; (g) a request to share the notice.
It must not use wording that lowers the perceived risk ("voluntary", "precautionary", "discretionary", "in
rare/specific situations", or that no accidents were reported): checked in English, French and German,
whatever the notice's language. Art. 37: at least two of repair, replacement and refund, free of charge.

`build_notice` reads a campaign into a `NoticeDocument`; `check` returns every problem; `require_launchable`
refuses launch with all of them at once. The editor shows the same problems as warnings while drafting.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.catalog.models import Manufacturer, ProductModel, Unit
from portal.core.errors import Invalid
from portal.extensions import db
from portal.recalls.models import RecallCampaign, RemedyType
from portal.recalls.targeting import affected_units, direct_matches

HEADING = _l("Product safety recall")


ELEMENTS = {
    "a": _l("(a) the heading “Product safety recall”"),
    "b": _l("(b) the product: picture, name, brand, identifiers and where to find them (picture and text), "
            "when, where and by whom it was sold"),
    "c": _l("(c) the hazard"),
    "d": _l("(d) what to do"),
    "e": _l("(e) the remedies"),
    "f": _l("(f) a free phone number or an interactive online service"),
    "g": _l("(g) a request to share the notice"),
}

#: Art. 36(2), last subparagraph, in the three languages the portal speaks. Matched without case or accents
#: on whole words; patterns are written without accents.
FORBIDDEN = {
    "en": [r"voluntar(y|ily)", r"precaution(ary)?", r"discretionary", r"in (rare|specific|certain) (situations|cases)",
           r"no (accidents?|injur(y|ies)|incidents?) (have|has) been reported",
           r"no (reported )?(accidents?|injur(y|ies)|incidents?)( were| have been)? reported"],
    "fr": [r"volontaire(ment)?", r"(par |a titre de )?precaution(nel(le)?)?", r"discretionnaire",
           r"dans (des|de) (rares|situations rares|situations particulieres|cas particuliers|cas rares)",
           r"aucun (accident|incident|blesse)s? (n'a|n'ont) ete (signale|rapporte)s?"],
    "de": [r"freiwillig(e|en|er)?", r"vorsorglich(e|en|er)?", r"vorsichtsma(ss|ß)nahme", r"(nach )?ermessen",
           r"in seltenen (fallen|situationen)", r"in bestimmten (fallen|situationen)",
           r"keine (unfalle|verletzungen|vorfalle) (gemeldet|bekannt)"],
}
_COMPILED = {lang: [re.compile(rf"\b{p}\b") for p in patterns] for lang, patterns in FORBIDDEN.items()}


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("’", "'")


def forbidden_wording(*texts: str) -> list[tuple[str, str]]:
    """(the words as typed, language) for every forbidden expression found in `texts`."""
    found = []
    for text in texts:
        plain = _plain(text or "")
        for lang, patterns in _COMPILED.items():
            for pattern in patterns:
                for match in pattern.finditer(plain):
                    found.append((match.group(0), lang))
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class NoticeDocument:
    heading: str
    product_names: list[str]
    brand: str
    picture: str
    identifiers: list[str]  # GTINs, lots and serial ranges, in text
    identifier_location: str
    identifier_picture: str
    sold_when: str
    sold_where: str
    sold_by: str
    hazard: str
    consequence: str
    stop_using: bool
    what_to_do: str
    remedies: list[RemedyType]
    remedy_options: list[str]
    phone: str
    online: str
    share_request: str
    free_texts: list[str] = field(default_factory=list)


def build_notice(campaign: RecallCampaign) -> NoticeDocument:
    rules = campaign.rules
    models = list(db.session.scalars(select(ProductModel).where(ProductModel.id.in_(rules.get("model_ids") or []))
                                     .order_by(ProductModel.name)))
    if not models:  # criteria without models: the units counted (the bikes holding a cell lot), then the parts
        counted = affected_units(campaign).subquery()
        found = [select(Unit.model_id).where(Unit.id.in_(select(counted.c.id))).distinct().limit(20),
                 direct_matches(campaign).with_only_columns(Unit.model_id).distinct().limit(20)]
        for ids in found:
            models += [m for m in db.session.scalars(select(ProductModel).where(ProductModel.id.in_(ids))
                                                     .order_by(ProductModel.name)) if m not in models]
    brand = db.session.scalar(select(Manufacturer.name).where(Manufacturer.id == campaign.manufacturer_id)) or ""
    picture = campaign.product_image or next((m.image_path for m in models if m.image_path), "") or ""
    identifiers = [f"GTIN {m.gtin}" for m in models] + [_("lot %(lot)s", lot=lot) for lot in rules.get("lots") or []]
    identifiers += [_("serials %(first)s to %(last)s", first=r["from"] or "…", last=r["to"] or "…")
                    for r in rules.get("serial_ranges") or []]
    when = ""
    if campaign.sold_from:
        when = (_("from %(first)s to %(last)s", first=campaign.sold_from.isoformat(), last=campaign.sold_to.isoformat())
                if campaign.sold_to else _("since %(date)s", date=campaign.sold_from.isoformat()))
    free = [campaign.title, campaign.hazard, campaign.consequence, campaign.remedy_instructions, campaign.remedy_options,
            campaign.product_description, campaign.identifier_location, campaign.sold_where, campaign.sold_by,
            campaign.share_request, campaign.contact]
    return NoticeDocument(
        heading=str(HEADING), product_names=[m.name for m in models], brand=brand, picture=picture,
        identifiers=identifiers, identifier_location=campaign.identifier_location,
        identifier_picture=campaign.identifier_image, sold_when=when, sold_where=campaign.sold_where,
        sold_by=campaign.sold_by, hazard=campaign.hazard, consequence=campaign.consequence,
        stop_using=campaign.stop_using, what_to_do=campaign.remedy_instructions, remedies=campaign.offered,
        remedy_options=campaign.options, phone=campaign.contact_phone, online=campaign.contact_url,
        share_request=campaign.share_request, free_texts=[t for t in free if t])


def missing_elements(doc: NoticeDocument) -> list[str]:
    """The letters (a)-(g) of Art. 36(2) the notice lacks."""
    present = {
        "a": bool(doc.heading.strip()),
        "b": all([doc.picture, doc.product_names, doc.brand, doc.identifiers, doc.identifier_location.strip(),
                  doc.identifier_picture, doc.sold_when, doc.sold_where.strip(), doc.sold_by.strip()]),
        "c": bool(doc.hazard.strip()),
        "d": bool(doc.what_to_do.strip()),
        "e": bool(doc.remedies),
        "f": bool(doc.phone.strip() or doc.online.strip()),
        "g": bool(doc.share_request.strip()),
    }
    return [letter for letter, ok in present.items() if not ok]


def check(campaign: RecallCampaign) -> list[str]:
    """Every reason the notice cannot go out yet, in words for the recall manager (empty: it can)."""
    doc = build_notice(campaign)
    problems = [_("The notice lacks %(element)s.", element=ELEMENTS[letter]) for letter in missing_elements(doc)]
    problems += [_("“%(words)s” (%(lang)s) lowers the perceived risk; GPSR Art. 36 forbids it in a recall notice.",
                   words=words, lang=lang.upper()) for words, lang in forbidden_wording(*doc.free_texts)]
    if doc.remedies and len(doc.remedies) < 2:
        problems.append(_("Offer at least two of repair, replacement and refund, free of charge (GPSR Art. 37)."))
    return problems


def require_launchable(campaign: RecallCampaign) -> None:
    problems = check(campaign)
    if problems:
        raise Invalid(" ".join(problems), field="notice")
