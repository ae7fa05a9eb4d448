"""Recording services on units: only the unit's manufacturer's service partners (and its admins) may."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.models import Role, StaffMembership, User
from portal.catalog.models import Manufacturer, Unit
from portal.catalog.services import find_unit
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Invalid, NotAllowed, NotFound
from portal.core.gs1 import GS1Error, canonical_serial
from portal.core.storage import StoredFile
from portal.extensions import db
from portal.servicing.models import RecordedVia, ServiceEntry, ServiceKind

#: The roles that may record a service: the partner the manufacturer granted, and the manufacturer's admins.
RECORDING_ROLES = frozenset({Role.SERVICE_PARTNER, Role.ADMIN})
MAX_CENTRE, MAX_NOTES = 120, 2000


def may_record(actor: User, manufacturer_id: int) -> bool:
    """Whether `actor` holds, now, a role of this manufacturer that records services."""
    role = db.session.scalar(select(StaffMembership.role).where(
        StaffMembership.user_id == actor.id, StaffMembership.manufacturer_id == manufacturer_id))
    return role in RECORDING_ROLES


def unit_of_tenant(tenant: Manufacturer, gtin: str, serial: str) -> Unit:
    """The tenant's unit with this GTIN and serial; another manufacturer's unit is as unknown as a missing one."""
    unit = find_unit(gtin, serial)
    if unit.manufacturer_id != tenant.id:
        raise NotFound(_("No unit with GTIN %(gtin)s and serial %(serial)s is known to Provenance. "
                         "Check both numbers on the product's label.", gtin=unit.model.gtin, serial=unit.serial),
                       field="serial")
    return unit


def record_service(unit: Unit, *, actor: User, performed_on: date | None, kind: str, centre: str,
                   notes: str = "", part_serial: str | None = None, document: StoredFile | None = None,
                   via: RecordedVia = RecordedVia.CONSOLE) -> ServiceEntry:
    """Add a service entry to `unit`'s history, in `actor`'s name.

    The date lies between the unit's manufacture (when known) and today (UTC); a part replaced names the
    part's serial. Entries are never edited or deleted."""
    if not may_record(actor, unit.manufacturer_id):
        raise NotAllowed(_("Only the manufacturer's authorised service partners record services on its units."))
    try:
        kind = ServiceKind(kind)
    except ValueError:
        raise Invalid(_("Choose what was done: service, repair, part replaced, polish or battery."),
                      field="kind") from None
    if performed_on is None:
        raise Invalid(_("Give the date of the service."), field="performed_on")
    if performed_on > utcnow().date():
        raise Invalid(_("The date of a service cannot be in the future."), field="performed_on")
    if unit.manufactured_on is not None and performed_on < unit.manufactured_on:
        raise Invalid(_("The date of a service cannot be before the unit was made."), field="performed_on")
    centre = " ".join((centre or "").split())
    if not centre or len(centre) > MAX_CENTRE:
        raise Invalid(_("Name the service centre (up to %(n)d characters).", n=MAX_CENTRE), field="centre")
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES:
        raise Invalid(_("Keep the notes under %(n)d characters.", n=MAX_NOTES), field="notes")
    part = None
    if kind is ServiceKind.PART_REPLACED:
        try:
            part = canonical_serial(part_serial or "")
        except GS1Error:
            raise Invalid(_("Give the serial of the part fitted (1 to 20 letters, digits or GS1 signs)."),
                          field="part_serial") from None
    elif (part_serial or "").strip():
        raise Invalid(_("Only a part replaced carries a part serial."), field="part_serial")
    entry = ServiceEntry(manufacturer_id=unit.manufacturer_id, unit_id=unit.id, performed_on=performed_on,
                         kind=kind, part_serial=part, centre=centre, notes=notes, recorded_by_id=actor.id,
                         recorded_via=RecordedVia(via), created_at=utcnow())
    if document is not None:
        entry.document_key, entry.document_mime = document.key, document.mime
        entry.document_name, entry.document_size = document.name, document.size
    db.session.add(entry)
    db.session.flush()
    audit.log(actor, "service.recorded", entry, manufacturer_id=unit.manufacturer_id, unit_id=unit.id,
              kind=kind.value, performed_on=performed_on.isoformat(), via=entry.recorded_via.value)
    return entry
