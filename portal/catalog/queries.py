"""Reads of the catalog for pages, the API and other areas (docs/architecture.md, "Reads and writes")."""
from __future__ import annotations

from sqlalchemy import select

from portal.catalog.models import ProductModel, Unit
from portal.extensions import db


def unit_with(gtin14: str, serial: str) -> Unit | None:
    """The unit with this GTIN (14 digits) and serial, anywhere in the portal, or None. The lookup every
    public page and endpoint makes; services that must refuse use catalog.services.find_unit."""
    return db.session.scalar(select(Unit).join(ProductModel, ProductModel.id == Unit.model_id)
                             .where(ProductModel.gtin == gtin14, Unit.serial == serial))


def product_model(model_id: int) -> ProductModel | None:
    return db.session.get(ProductModel, model_id)
