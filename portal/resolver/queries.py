"""What the resolver reads: the product a Digital Link names, and the links its manufacturer manages."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import and_, bindparam, exists, select

from portal.catalog.models import Lot, Manufacturer, ProductModel
from portal.core.prebuilt import Prebuilt
from portal.extensions import db
from portal.resolver.models import LinkScope, ManagedLink


@dataclass(frozen=True)
class Product:
    """The model behind a GTIN, and whether the lot a URI names is one the manufacturer recorded."""
    model_id: int
    gtin: str
    name: str
    image_path: str | None
    warranty_months: int
    manufacturer_id: int
    manufacturer: str
    lot_known: bool
    has_managed_links: bool


@dataclass(frozen=True)
class Managed:
    id: int
    scope: LinkScope
    lot: str | None
    link_type: str
    target: str
    title: str
    language: str
    media_type: str
    context: str
    is_default: bool
    retired_at: datetime | None


PRODUCT = Prebuilt(lambda: (
    select(ProductModel.id, ProductModel.gtin, ProductModel.name, ProductModel.image_path,
           ProductModel.warranty_months, Manufacturer.id, Manufacturer.name, Lot.id,
           exists().where(ManagedLink.model_id == ProductModel.id))
    .select_from(ProductModel)
    .join(Manufacturer, Manufacturer.id == ProductModel.manufacturer_id)
    .outerjoin(Lot, and_(Lot.model_id == ProductModel.id, Lot.code == bindparam("lot")))
    .where(ProductModel.gtin == bindparam("gtin"))))


def product(gtin14: str, lot: str | None = None) -> Product | None:
    """The product behind a GTIN (None: no manufacturer on the portal has it), in one round trip."""
    row = PRODUCT.first({"gtin": gtin14, "lot": lot})
    if row is None:
        return None
    model_id, gtin, name, image, months, maker_id, maker, lot_id, managed = row
    return Product(model_id, gtin, name, image, months, maker_id, maker, lot_id is not None, bool(managed))


@cache
def _managed_statement():
    return (select(ManagedLink.id, ManagedLink.scope, ManagedLink.lot, ManagedLink.link_type, ManagedLink.target,
                   ManagedLink.title, ManagedLink.language, ManagedLink.media_type, ManagedLink.context,
                   ManagedLink.is_default, ManagedLink.retired_at)
            .where(ManagedLink.model_id == bindparam("model_id")).order_by(ManagedLink.id))


def managed_links(model_id: int) -> list[Managed]:
    """Every link the manufacturer manages for the model, live and retired, oldest first."""
    return [Managed(*row) for row in db.session.connection().execute(_managed_statement(), {"model_id": model_id})]


def gtin_of(model_id: int) -> str:
    return db.session.scalar(select(ProductModel.gtin).where(ProductModel.id == model_id))


def links_of_tenant(manufacturer_id: int) -> list[ManagedLink]:
    """The console's and API's list: live links first, newest first."""
    return list(db.session.scalars(select(ManagedLink).where(ManagedLink.manufacturer_id == manufacturer_id)
                                   .order_by(ManagedLink.retired_at.is_not(None), ManagedLink.id.desc())))
