"""What the public product page and the recall status say about a GTIN, a variant or a lot (reads only)."""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import select

from portal.catalog.services import find_unit
from portal.core.errors import DomainError
from portal.core.gs1 import DigitalLink
from portal.extensions import db
from portal.ownership.services import current_ownership
from portal.recalls.status import public_recalls
from portal.resolver import queries
from portal.resolver.models import ManagedLink
from portal.warranty.coverage import SCOPE_WORDS, and_list, terms_for
from portal.warranty.models import ClockStart


@dataclass(frozen=True)
class ProductPage:
    link: DigitalLink
    product: queries.Product
    warranty: str
    recalls: list[dict]
    managed: list[queries.Managed]


def _warranty_words(product: queries.Product) -> str:
    if not product.warranty_months:
        return _("No manufacturer's warranty.")
    terms = terms_for(SimpleNamespace(id=product.model_id))
    start = {ClockStart.PURCHASE: _("from the date of purchase"),
             ClockStart.REGISTRATION: _("from registration on Provenance"),
             ClockStart.MANUFACTURE: _("from the date of manufacture")}[terms.clock_start]
    scopes = and_list([SCOPE_WORDS[s] for s in terms.scope.split(",") if s in SCOPE_WORDS])
    words = _("%(months)d months %(start)s, covering %(scopes)s.", months=product.warranty_months, start=start,
              scopes=scopes)
    if terms.survives_transfer:
        words += " " + _("It passes to the next owner when the product is sold on.")
    return words


def product_page(link: DigitalLink) -> ProductPage | None:
    """The page for a GTIN, CPV or lot code; None for an unknown GTIN or a code naming one unit."""
    if link.serial is not None:
        return None
    product = queries.product(link.gtin, link.lot)
    if product is None:
        return None
    managed = [m for m in (queries.managed_links(product.model_id) if product.has_managed_links else [])
               if m.retired_at is None and (m.scope.value == "model" or (m.scope.value == "lot" and m.lot == link.lot))]
    return ProductPage(link, product, _warranty_words(product), public_recalls(product.model_id, link.lot), managed)


def recall_json(page: ProductPage) -> dict:
    return {"gtin": page.product.gtin, "lot": page.link.lot, "product": page.product.name,
            "manufacturer": page.product.manufacturer, "open_recalls": len(page.recalls),
            "status": _("Recalled: stop using it and follow the manufacturer's instructions") if page.recalls
            else _("No open recalls"), "recalls": page.recalls}


def context_values() -> set[str]:
    """The contexts manufacturers' links use (the description file lists them)."""
    return {c for c in db.session.scalars(select(ManagedLink.context).where(ManagedLink.context != "").distinct())}


def current_ownership_of(user, link: DigitalLink) -> int | None:
    """The id of `user`'s current ownership of the unit a code names, or None."""
    if link.serial is None:
        return None
    try:
        unit = find_unit(link.gtin, link.serial)
    except DomainError:
        return None
    ownership = current_ownership(unit)
    return ownership.id if ownership is not None and ownership.owner_id == user.id else None
