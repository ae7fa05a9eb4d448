"""Reads of service history: for the owner's page, the console, and other areas (a resale proof includes a
unit's history when its owner chooses). `history_for_unit` carries no personal data: who recorded an entry,
its notes and its document stay out of it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.tenancy import PAGE, scoped
from portal.catalog.models import Manufacturer, Unit
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.servicing import models
from portal.servicing.models import ServiceKind
from portal.warranty.queries import handled_claims_on_unit

#: What a claim's outcome shows as in the history.
CLAIM_KINDS = {"repaired": "warranty_repair", "replaced": "warranty_replacement", "refunded": "warranty_refund"}


def kind_label(kind: str) -> str:
    if kind in {k.value for k in ServiceKind}:
        return ServiceKind(kind).label
    return {"warranty_repair": _("Repaired under warranty"),
            "warranty_replacement": _("Replaced under warranty"),
            "warranty_refund": _("Refunded under warranty")}.get(kind, kind)


@dataclass(frozen=True)
class ServiceEntry:
    """One line of a unit's service history, as anyone the owner shows it to may see it."""

    performed_on: date
    #: A ServiceKind value, or "warranty_repair" / "warranty_replacement" / "warranty_refund".
    kind: str
    #: The service centre's name; for a warranty claim, the manufacturer's.
    centre: str
    part_serial: str | None
    #: "partner" (an authorised service centre recorded it) or "warranty" (a claim the manufacturer handled).
    source: str

    @property
    def label(self) -> str:
        return kind_label(self.kind)


def history_for_unit(unit_id: int, *, include_claims: bool = True) -> list[ServiceEntry]:
    """The unit's service history, oldest first: partners' entries and, unless told not to, the repairs,
    replacements and refunds made under warranty claims."""
    rows = db.session.execute(
        select(models.ServiceEntry.performed_on, models.ServiceEntry.kind, models.ServiceEntry.centre,
               models.ServiceEntry.part_serial)
        .where(models.ServiceEntry.unit_id == unit_id)
        .order_by(models.ServiceEntry.performed_on, models.ServiceEntry.id))
    entries = [ServiceEntry(performed_on=on, kind=ServiceKind(kind).value, centre=centre, part_serial=part,
                            source="partner") for on, kind, centre, part in rows]
    if include_claims:
        maker = db.session.scalar(select(Manufacturer.name).join(Unit, Unit.manufacturer_id == Manufacturer.id)
                                  .where(Unit.id == unit_id))
        entries += [ServiceEntry(performed_on=c.on.date(), kind=CLAIM_KINDS[c.outcome], centre=maker or "",
                                 part_serial=None, source="warranty") for c in handled_claims_on_unit(unit_id)]
        entries.sort(key=lambda e: e.performed_on)
    return entries


@dataclass(frozen=True)
class OwnerLine:
    """A line of the owner's page: the entry, its notes, and its document when the owner may open it."""

    entry: ServiceEntry
    notes: str
    document_id: int | None
    document_name: str | None


def for_owner(unit: Unit, owner_since: datetime) -> list[OwnerLine]:
    """What the owner's unit page shows, newest first. Documents (invoices, reports) of services recorded
    before the owner's time may name the previous owner, so only the owner's own time's documents open."""
    lines: list[OwnerLine] = []
    for row in db.session.scalars(select(models.ServiceEntry).where(models.ServiceEntry.unit_id == unit.id)):
        mine = row.document_key is not None and row.created_at >= owner_since
        lines.append(OwnerLine(ServiceEntry(row.performed_on, row.kind.value, row.centre, row.part_serial,
                                            "partner"), row.notes if row.created_at >= owner_since else "",
                               row.id if mine else None, row.document_name if mine else None))
    lines += [OwnerLine(e, "", None, None) for e in history_for_unit(unit.id) if e.source == "warranty"]
    lines.sort(key=lambda line: line.entry.performed_on, reverse=True)
    return lines


def owners_document(entry_id: int, ownership_id: int, owner_id: int) -> models.ServiceEntry | None:
    """The entry whose document the current owner `owner_id` of ownership `ownership_id` may download (one
    recorded on that unit since they hold it), or None."""
    ownership = db.session.get(Ownership, ownership_id)
    if ownership is None or ownership.owner_id != owner_id or ownership.until is not None:
        return None
    row = db.session.get(models.ServiceEntry, entry_id)
    if row is None or row.unit_id != ownership.unit_id or row.document_key is None or row.created_at < ownership.since:
        return None
    return row


# --- the console ----------------------------------------------------------------------------------------

def recent_entries(recorded_by_id: int | None) -> list[models.ServiceEntry]:
    """The tenant's newest entries; a partner (`recorded_by_id`) sees only their own."""
    stmt = scoped(models.ServiceEntry)
    if recorded_by_id is not None:
        stmt = stmt.where(models.ServiceEntry.recorded_by_id == recorded_by_id)
    return list(db.session.scalars(stmt.order_by(models.ServiceEntry.id.desc()).limit(PAGE)))
