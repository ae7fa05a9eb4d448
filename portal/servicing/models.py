"""What authorised service centres did to a unit: services, repairs, parts replaced, polishes, batteries."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.catalog.models import Unit
from portal.core.db import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class ServiceKind(StrEnum):
    SERVICE = "service"
    REPAIR = "repair"
    PART_REPLACED = "part_replaced"
    POLISH = "polish"
    BATTERY = "battery"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    ServiceKind.SERVICE: _l("Service"),
    ServiceKind.REPAIR: _l("Repair"),
    ServiceKind.PART_REPLACED: _l("Part replaced"),
    ServiceKind.POLISH: _l("Polish"),
    ServiceKind.BATTERY: _l("Battery"),
}


class RecordedVia(StrEnum):
    CONSOLE = "console"
    API = "api"


class ServiceEntry(db.Model):
    """One service on one unit, recorded by a service partner (or an admin) of the unit's manufacturer.

    Entries are never edited: a mistake is corrected by recording what was really done."""

    __tablename__ = "service_entries"
    __table_args__ = (
        # A part replaced names the part's serial; no other kind carries one.
        CheckConstraint("(kind = 'part_replaced') = (part_serial IS NOT NULL)", name="part_serial_iff_part"),
        CheckConstraint("(document_key IS NULL) = (document_mime IS NULL)", name="document_whole"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    performed_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[ServiceKind] = mapped_column(str_enum(ServiceKind, "service_kind"))
    part_serial: Mapped[str | None] = mapped_column(String(40))
    #: The service centre's name as the owner and a buyer see it.
    centre: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, default="")
    document_key: Mapped[str | None] = mapped_column(String(80))
    document_mime: Mapped[str | None] = mapped_column(String(60))
    document_name: Mapped[str | None] = mapped_column(String(160))
    document_size: Mapped[int | None] = mapped_column(Integer)
    #: The staff member (or the issuer of the API token) who recorded it: staff only ever see this.
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_via: Mapped[RecordedVia] = mapped_column(str_enum(RecordedVia, "service_recorded_via"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    recorded_by: Mapped[User] = relationship()
