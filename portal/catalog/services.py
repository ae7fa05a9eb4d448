"""Tenants, product models, units and their events."""
from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from portal.catalog.models import (
    BizStep,
    CompanyPrefix,
    Disposition,
    Lot,
    Manufacturer,
    ProductModel,
    Unit,
    UnitEvent,
)
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.gs1 import (
    GS1Error,
    canonical_gtin,
    canonical_serial,
    company_prefix_matches,
    validate_company_prefix,
)
from portal.core.signals import units_landed
from portal.core.storage import StoredFile
from portal.core.text import single_line
from portal.extensions import db

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
NFC_UID_RE = re.compile(r"^[0-9A-F]{14}$")


def create_tenant(slug: str, name: str, prefixes: list[str], *, actor) -> Manufacturer:
    """A platform admin opens a manufacturer's tenant with its GS1 company prefixes."""
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise Invalid(_("The short name may hold lower-case letters, digits and dashes (up to 40)."), field="slug")
    if not (name or "").strip():
        raise Invalid(_("Give the manufacturer's name."), field="name")
    name = single_line(name, field="name", what="The manufacturer's name")
    if db.session.scalar(select(Manufacturer).where(Manufacturer.slug == slug)):
        raise Conflict(_("A tenant called '%(slug)s' already exists.", slug=slug), field="slug")
    tenant = Manufacturer(slug=slug, name=name.strip()[:120])
    db.session.add(tenant)
    db.session.flush()
    for prefix in prefixes:
        add_company_prefix(tenant, prefix)
    audit.log(actor, "tenant.created", tenant, manufacturer_id=tenant.id, slug=slug, prefixes=prefixes)
    return tenant


def declare_identifier_case(tenant: Manufacturer, case_insensitive: bool, *, actor) -> Manufacturer:
    """The manufacturer declares whether its lots and serials are case-insensitive ("cell-b2" is "CELL-B2").

    Recall targeting and remedy recording follow the declaration; the stored identifiers keep their case."""
    tenant.identifiers_case_insensitive = bool(case_insensitive)
    db.session.flush()
    audit.log(actor, "tenant.identifier_case", tenant, manufacturer_id=tenant.id,
              case_insensitive=tenant.identifiers_case_insensitive)
    return tenant


def add_company_prefix(tenant: Manufacturer, prefix: str) -> CompanyPrefix:
    try:
        prefix = validate_company_prefix(prefix)
    except GS1Error as err:
        raise Invalid(str(err), field="gs1_prefix") from None
    if db.session.scalar(select(CompanyPrefix).where(CompanyPrefix.prefix == prefix)):
        raise Conflict(f"GS1 company prefix {prefix} already belongs to a tenant.", field="gs1_prefix")
    # GS1 company prefixes never nest: 761234 and 7612345 cannot both be licensed, and a tenant holding one
    # would otherwise add GTINs in the other's range. Refuse one that is the start of, or starts with, another.
    overlapping = db.session.scalar(select(CompanyPrefix.prefix).where(or_(
        CompanyPrefix.prefix.in_([prefix[:n] for n in range(1, len(prefix))]),
        CompanyPrefix.prefix.startswith(prefix))).limit(1))
    if overlapping:
        raise Conflict(f"GS1 company prefix {prefix} overlaps prefix {overlapping}, which already belongs to a tenant: "
                       "one company prefix never starts with another.", field="gs1_prefix")
    row = CompanyPrefix(manufacturer_id=tenant.id, prefix=prefix)
    db.session.add(row)
    db.session.flush()
    return row


def parse_gtin(text: str) -> str:
    """A GTIN from a form, the API, the CLI or an import, in its stored form (core.gs1.canonical_gtin)."""
    try:
        return canonical_gtin(text or "")
    except GS1Error as err:
        raise Invalid(str(err), field="gtin") from None


def parse_serial(text: str, *, case_insensitive: bool = False) -> str:
    """A serial from a form, the API, the CLI or an import, trimmed, upper case for a maker that declared
    serials case-insensitive (core.gs1.canonical_serial)."""
    try:
        return canonical_serial(text or "", case_insensitive=case_insensitive)
    except GS1Error as err:
        raise Invalid(str(err), field="serial") from None


def add_model(tenant: Manufacturer, *, gtin: str, name: str, warranty_months: int, description: str = "",
              actor) -> ProductModel:
    """Add a product model; its GTIN must carry one of the tenant's GS1 company prefixes."""
    gtin14 = parse_gtin(gtin)
    prefixes = db.session.scalars(select(CompanyPrefix.prefix).where(CompanyPrefix.manufacturer_id == tenant.id)).all()
    if not any(company_prefix_matches(gtin14, p) for p in prefixes):
        raise Invalid(f"GTIN {gtin14} does not carry one of your GS1 company prefixes "
                      f"({', '.join(prefixes) or 'none registered'}).", field="gtin")
    if not (name or "").strip():
        raise Invalid("Give the model a name.", field="name")
    name = single_line(name, field="name", what="The model's name")  # it reaches e-mail subjects
    if not isinstance(warranty_months, int) or not 0 <= warranty_months <= 600:
        raise Invalid("Warranty months must be a whole number from 0 to 600.", field="warranty_months")
    if db.session.scalar(select(ProductModel).where(ProductModel.gtin == gtin14)):
        raise Conflict(f"A product model with GTIN {gtin14} already exists.", field="gtin")
    model = ProductModel(manufacturer_id=tenant.id, gtin=gtin14, name=name.strip()[:160],
                         warranty_months=warranty_months, description=(description or "").strip())
    db.session.add(model)
    db.session.flush()
    audit.log(actor, "model.added", model, gtin=gtin14, name=model.name)
    return model


def set_model_image(model: ProductModel, image: StoredFile, *, actor) -> None:
    """Give a product model its picture, shown to owners and on the public product page."""
    model.image_path = image.key
    audit.log(actor, "model.image_changed", model, gtin=model.gtin)


def find_unit(gtin: str, serial: str) -> Unit:
    """The unit with this GTIN and serial, anywhere in the portal. Bad input says which part is wrong. The
    serial is upper-cased first when the GTIN's maker declared serials case-insensitive."""
    gtin14 = parse_gtin(gtin)
    folds = db.session.scalar(select(Manufacturer.identifiers_case_insensitive)
                              .join(ProductModel, ProductModel.manufacturer_id == Manufacturer.id)
                              .where(ProductModel.gtin == gtin14))
    serial = parse_serial(serial, case_insensitive=bool(folds))
    unit = db.session.scalar(
        select(Unit).join(ProductModel, ProductModel.id == Unit.model_id)
        .where(ProductModel.gtin == gtin14, Unit.serial == serial)
    )
    if unit is None:
        raise NotFound(_("No unit with GTIN %(gtin)s and serial %(serial)s is known to Provenance. "
                         "Check both numbers on the product's label.", gtin=gtin14, serial=serial))
    return unit


def parse_nfc_uid(text: str | None) -> str | None:
    if not text:
        return None
    uid = text.strip().upper().replace(":", "")
    if not NFC_UID_RE.match(uid):
        raise Invalid("An NFC tag UID is 7 bytes written as 14 hexadecimal digits.", field="nfc_uid")
    return uid


def create_unit(tenant: Manufacturer, *, gtin: str, serial: str, lot: str | None = None,
                manufactured_on: date | None = None, parent: Unit | None = None, nfc_uid: str | None = None,
                actor) -> Unit:
    """Commission one unit (the CSV and API imports do the same for many, set-based)."""
    gtin14, serial = parse_gtin(gtin), parse_serial(serial)
    model = db.session.scalar(select(ProductModel).where(ProductModel.gtin == gtin14,
                                                         ProductModel.manufacturer_id == tenant.id))
    if model is None:
        raise Invalid(f"GTIN {gtin14} is not one of your product models.", field="gtin")
    if db.session.scalar(select(Unit.id).where(Unit.model_id == model.id, Unit.serial == serial)):
        raise Conflict(f"Serial {serial} already exists for GTIN {gtin14}.", field="serial")
    lot_row = ensure_lot(model, lot) if lot else None
    unit = Unit(manufacturer_id=tenant.id, model_id=model.id, model=model, serial=serial, lot=lot_row,
                manufactured_on=manufactured_on, parent=parent, nfc_uid=parse_nfc_uid(nfc_uid))
    db.session.add(unit)
    db.session.flush()
    record_event(unit, BizStep.COMMISSIONING, Disposition.ACTIVE, actor=actor)
    units_landed.send(tenant.id, unit_ids=None if parent else [unit.id])
    return unit


def ensure_lot(model: ProductModel, code: str) -> Lot:
    lot = db.session.scalar(select(Lot).where(Lot.model_id == model.id, Lot.code == code))
    if lot is None:
        lot = Lot(model_id=model.id, code=code)
        db.session.add(lot)
        db.session.flush()
    return lot


def record_event(unit: Unit, biz_step: BizStep, disposition: Disposition, *, actor=None, note: str = "",
                 place: str = "", occurred_at: datetime | None = None) -> UnitEvent:
    """Append an event and keep the unit's status in step with it, in the same transaction (docs/architecture.md, invariant 3)."""
    event = UnitEvent(unit=unit, biz_step=biz_step, disposition=disposition, occurred_at=occurred_at or utcnow(),
                      actor_id=getattr(actor, "id", None),
                      actor_label=getattr(actor, "email", None) or (actor if isinstance(actor, str) else ""),
                      note=note[:500], place=place[:200])
    db.session.add(event)
    unit.status = disposition
    db.session.flush()
    return event
