"""Manufacturers (tenants), their product models, lots, serialized units and unit history."""
from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class Manufacturer(db.Model):
    __tablename__ = "manufacturers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Master key from which per-tag NFC keys are derived (encrypted at rest), when tags are not imported one by one.
    nfc_master_key_enc: Mapped[str | None] = mapped_column(Text)
    #: Clone detection thresholds: within the window, this many distinct clients, a faster travel speed,
    #: or this many distinct strangers scanning a registered unit raise an alert.
    clone_window_minutes: Mapped[int] = mapped_column(default=60, server_default="60")
    clone_max_clients: Mapped[int] = mapped_column(default=8, server_default="8")
    clone_max_kmh: Mapped[int] = mapped_column(default=900, server_default="900")
    clone_max_strangers: Mapped[int] = mapped_column(default=3, server_default="3")
    #: The manufacturer declares its lots and serials case-insensitive ("cell-b2" is lot "CELL-B2"): recall
    #: targeting and remedy recording then match them whatever their case (catalog.services.declare_identifier_case).
    identifiers_case_insensitive: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    prefixes: Mapped[list[CompanyPrefix]] = relationship(back_populates="manufacturer", order_by="CompanyPrefix.prefix")


class CompanyPrefix(db.Model):
    """A GS1 company prefix licensed to the manufacturer; its GTINs must start with one."""

    __tablename__ = "company_prefixes"

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(12), unique=True)

    manufacturer: Mapped[Manufacturer] = relationship(back_populates="prefixes")


class ProductModel(db.Model):
    __tablename__ = "product_models"
    __table_args__ = (
        # Lets units reference (model, manufacturer) together, so a unit's tenant cannot drift.
        UniqueConstraint("id", "manufacturer_id", name="uq_product_models_id_manufacturer"),
        CheckConstraint("length(gtin) = 14", name="gtin_14"),
        CheckConstraint("warranty_months >= 0 AND warranty_months <= 600", name="warranty_months_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    gtin: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    image_path: Mapped[str | None] = mapped_column(String(255))
    warranty_months: Mapped[int] = mapped_column(default=24)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    manufacturer: Mapped[Manufacturer] = relationship()


class Lot(db.Model):
    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("model_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("product_models.id"))
    code: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Disposition(StrEnum):
    """EPCIS Core Business Vocabulary dispositions; a unit's status is the one of its latest event."""

    ACTIVE = "active"
    IN_PROGRESS = "in_progress"
    IN_TRANSIT = "in_transit"
    SELLABLE_ACCESSIBLE = "sellable_accessible"
    RETAIL_SOLD = "retail_sold"
    RETURNED = "returned"
    DAMAGED = "damaged"
    RECALLED = "recalled"
    STOLEN = "stolen"
    DESTROYED = "destroyed"
    INACTIVE = "inactive"

    @property
    def label(self) -> str:
        return str(DISPOSITION_LABELS[self])


class BizStep(StrEnum):
    """EPCIS Core Business Vocabulary business steps used by the portal."""

    COMMISSIONING = "commissioning"
    PACKING = "packing"
    SHIPPING = "shipping"
    RECEIVING = "receiving"
    RETAIL_SELLING = "retail_selling"
    INSTALLING = "installing"
    REMOVING = "removing"
    INSPECTING = "inspecting"
    REPAIRING = "repairing"
    REPLACING = "replacing"
    DECOMMISSIONING = "decommissioning"
    DESTROYING = "destroying"
    OTHER = "other"


DISPOSITION_LABELS = {
    Disposition.ACTIVE: _l("In the supply chain"), Disposition.IN_PROGRESS: _l("In progress"),
    Disposition.IN_TRANSIT: _l("In transit"), Disposition.SELLABLE_ACCESSIBLE: _l("For sale"),
    Disposition.RETAIL_SOLD: _l("Sold"), Disposition.RETURNED: _l("Returned"), Disposition.DAMAGED: _l("Damaged"),
    Disposition.RECALLED: _l("Recalled"), Disposition.STOLEN: _l("Stolen"), Disposition.DESTROYED: _l("Destroyed"),
    Disposition.INACTIVE: _l("Inactive"),
}
#: What a unit's history says for an event without a note of its own.
BIZ_STEP_LABELS = {
    BizStep.COMMISSIONING: _l("Made"), BizStep.PACKING: _l("Packed"), BizStep.SHIPPING: _l("Shipped"),
    BizStep.RECEIVING: _l("Received"), BizStep.RETAIL_SELLING: _l("Sold"), BizStep.INSTALLING: _l("Installed"),
    BizStep.REMOVING: _l("Removed"), BizStep.INSPECTING: _l("Inspected"), BizStep.REPAIRING: _l("Repaired"),
    BizStep.REPLACING: _l("Replaced"), BizStep.DECOMMISSIONING: _l("Taken out of service"),
    BizStep.DESTROYING: _l("Destroyed"), BizStep.OTHER: _l("Other"),
}


def biz_step_label(step: BizStep | str) -> str:
    return str(BIZ_STEP_LABELS.get(BizStep(step), _("Other")))


#: Notes the portal itself writes on events (stored in English, as history); shown in the reader's language.
SYSTEM_NOTES = {
    "Registered by its owner": _l("Registered by its owner"),
    "Ownership transferred": _l("Ownership transferred"),
    "Recovered by its owner": _l("Recovered by its owner"),
    "Reported stolen by its owner": _l("Reported stolen by its owner"),
    "The owner deleted their account": _l("The owner deleted their account"),
    "Imported from CSV": _l("Imported from CSV"),
    "Recycled; passport ceased": _l("Recycled; passport ceased"),
}
#: Notes the portal writes with a name or number in them: (pattern, message with the same named parts).
SYSTEM_NOTE_PATTERNS = (
    (re.compile(r"Built into (?P<unit>.+)"), _l("Built into %(unit)s")),
    (re.compile(r"Replaces (?P<serial>\S+) under claim (?P<claim>\S+)"), _l("Replaces %(serial)s under claim %(claim)s")),
)


def event_note(note: str) -> str:
    """A stored event note for display: the portal's own phrases translated, anyone else's words as written."""
    if note in SYSTEM_NOTES:
        return str(SYSTEM_NOTES[note])
    if note.startswith("Sold by "):
        return _("Sold by %(retailer)s", retailer=note.removeprefix("Sold by "))
    for pattern, message in SYSTEM_NOTE_PATTERNS:
        if found := pattern.fullmatch(note):
            return str(message) % found.groupdict()
    return note


class Unit(db.Model):
    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("model_id", "serial"),
        ForeignKeyConstraint(
            ["model_id", "manufacturer_id"],
            ["product_models.id", "product_models.manufacturer_id"],
            name="fk_units_model_tenant",
        ),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        Index("ix_units_manufacturer_id_id", "manufacturer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"))
    model_id: Mapped[int] = mapped_column()
    serial: Mapped[str] = mapped_column(String(20))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), index=True)
    manufactured_on: Mapped[date | None] = mapped_column(Date)
    nfc_uid: Mapped[str | None] = mapped_column(String(14), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    #: The unit this one replaced under a warranty claim (its coverage may carry over).
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    status: Mapped[Disposition] = mapped_column(str_enum(Disposition, "unit_status"), default=Disposition.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    model: Mapped[ProductModel] = relationship(foreign_keys=[model_id], primaryjoin="Unit.model_id == ProductModel.id")
    lot: Mapped[Lot | None] = relationship()
    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="components",
                                               foreign_keys=[parent_id])
    components: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.id",
                                                  foreign_keys=[parent_id])
    replaces: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[replaces_id])
    events: Mapped[list[UnitEvent]] = relationship(
        back_populates="unit", order_by="(UnitEvent.occurred_at, UnitEvent.id)"
    )

    @property
    def gtin(self) -> str:
        return self.model.gtin

    @property
    def is_stolen(self) -> bool:
        return self.status is Disposition.STOLEN


class UnitEvent(db.Model):
    """Append-only history of a unit, in the EPCIS vocabulary."""

    __tablename__ = "unit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    biz_step: Mapped[BizStep] = mapped_column(str_enum(BizStep, "biz_step"))
    disposition: Mapped[Disposition] = mapped_column(str_enum(Disposition, "disposition"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    place: Mapped[str] = mapped_column(String(200), default="")
    #: ISO 3166-1 alpha-2 country of the place, when its sender gave one (a till's sale: portal.api).
    country: Mapped[str | None] = mapped_column(String(2))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(120), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    #: The captured EPCIS event this unit event records, if any (portal.catalog.epcis).
    epcis_event_id: Mapped[int | None] = mapped_column(ForeignKey("epcis_events.id"), index=True)
    #: Set when its sender declared the EPCIS event erroneous: the history shows it struck through.
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retraction: Mapped[str | None] = mapped_column(String(300))

    unit: Mapped[Unit] = relationship(back_populates="events")
