"""Everything the portal holds about one owner, as data.json plus their uploaded files, in a ZIP.

Only rows that belong to the owner are read: other people who touched the same units (earlier owners,
buyers, claims agents) appear by role, never by name or address.
"""
from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select

from portal.accounts.models import SecondFactor, StaffMembership, User, UserSession
from portal.authenticity.models import CounterfeitReport
from portal.catalog.models import Disposition, Unit, UnitEvent
from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.core.storage import open_stored
from portal.extensions import db
from portal.notifications.models import Notification
from portal.ownership.models import Ownership, OwnershipDispute, TransferOffer
from portal.recalls.models import RecallNotice, RecallUnit
from portal.resale.models import OwnershipProof
from portal.warranty.models import ClaimEntry, WarrantyClaim


@dataclass
class Export:
    data: dict
    #: (name inside the ZIP, storage key)
    files: list[tuple[str, str]] = field(default_factory=list)


def _iso(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value.value if hasattr(value, "value") else value


def _row(obj, *names: str) -> dict:
    return {name: _iso(getattr(obj, name)) for name in names}


def _unit(unit: Unit) -> dict:
    return {"gtin": unit.model.gtin, "serial": unit.serial, "model": unit.model.name,
            "manufacturer": unit.model.manufacturer.name, "lot": unit.lot.code if unit.lot else None,
            "manufactured_on": _iso(unit.manufactured_on), "status": _iso(unit.status)}


def _safe(name: str) -> str:
    return "".join(c for c in (name or "") if c.isalnum() or c in "._-")[:80] or "file"


def build_export(user: User) -> Export:
    """Collect the owner's data; attachments are listed by key and read only when the ZIP is written."""
    export = Export(data={"format": "provenance-export/1", "generated_at": utcnow().isoformat()})
    # Where the account signed in (browser summary and network prefix, as the Sessions page shows them) and
    # whether it has an authenticator; never the session keys or the authenticator's secret.
    export.data["sessions"] = [
        _row(s, "created_at", "last_seen_at", "user_agent", "ip_prefix", "second_factor_at", "revoked_at")
        for s in db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                                    .order_by(UserSession.created_at))]
    factor = db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id))
    export.data["second_factor"] = None if factor is None else {"enrolled_at": _iso(factor.enrolled_at)}
    export.data["profile"] = _row(user, "id", "email", "name", "created_at", "email_verified_at", "failed_signins",
                                  "locked_until")
    export.data["profile"]["staff_memberships"] = [
        {"manufacturer": m.manufacturer.name, "role": m.role.value, "since": _iso(m.created_at)}
        for m in db.session.scalars(select(StaffMembership).where(StaffMembership.user_id == user.id))]

    ownerships = db.session.scalars(select(Ownership).where(Ownership.owner_id == user.id)
                                    .order_by(Ownership.since, Ownership.id)).all()
    export.data["registrations"] = []
    for o in ownerships:
        item = _row(o, "id", "since", "until", "source", "ended_reason", "purchased_on", "retailer")
        item["unit"] = _unit(o.unit)
        if o.proof_key:
            name = f"files/proofs/{o.id}-{_safe(o.proof_name)}"
            item["proof_of_purchase"] = {"file": name, "type": o.proof_mime, "size": o.proof_size}
            export.files.append((name, o.proof_key))
        export.data["registrations"].append(item)

    ownership_ids = [o.id for o in ownerships]
    offers = db.session.scalars(select(TransferOffer).where(or_(TransferOffer.ownership_id.in_(ownership_ids),
                                                                TransferOffer.accepted_by_id == user.id))
                                .order_by(TransferOffer.id)).all()
    export.data["transfers"] = [
        {**_row(t, "state", "created_at", "expires_at", "finished_at"),
         "role": "buyer" if t.accepted_by_id == user.id else "seller", "unit": _unit(t.ownership.unit)}
        for t in offers]

    # Proofs the owner made for listings: what each showed and how it ended, never its link (the token).
    export.data["ownership_proofs"] = [
        {**_row(p, "created_at", "expires_at", "revoked_at", "revoked_because", "serial_shown", "include_service"),
         "unit": _unit(p.unit)}
        for p in db.session.scalars(select(OwnershipProof).where(OwnershipProof.ownership_id.in_(ownership_ids))
                                    .order_by(OwnershipProof.id))]

    events = db.session.scalars(select(UnitEvent).where(UnitEvent.actor_id == user.id)
                                .order_by(UnitEvent.occurred_at, UnitEvent.id)).all()
    export.data["unit_events_by_you"] = [
        {**_row(e, "biz_step", "disposition", "occurred_at", "place", "note"), "unit": _unit(e.unit)} for e in events]
    export.data["stolen_reports"] = [
        {**_row(e, "occurred_at", "place", "note"), "unit": _unit(e.unit)}
        for e in events if e.disposition is Disposition.STOLEN]
    export.data["disputes"] = [
        {**_row(d, "created_at", "resolved_at", "message"), "unit": _unit(d.unit)}
        for d in db.session.scalars(select(OwnershipDispute).where(OwnershipDispute.claimant_id == user.id))]

    export.data["claims"] = [_claim(claim, export) for claim in db.session.scalars(
        select(WarrantyClaim).where(WarrantyClaim.owner_id == user.id).order_by(WarrantyClaim.id))]
    _recalls(user, export)

    export.data["counterfeit_reports"] = []
    for r in db.session.scalars(select(CounterfeitReport).where(CounterfeitReport.contact == user.email)
                                .order_by(CounterfeitReport.id)):
        item = _row(r, "created_at", "gtin", "serial", "code_text", "message", "where_seen", "contact")
        if r.photo_key:
            item["photo"] = f"files/counterfeit/{r.id}-{_safe(r.photo_key)}"
            export.files.append((item["photo"], r.photo_key))
        export.data["counterfeit_reports"].append(item)
    export.data["notifications"] = [
        _row(n, "created_at", "channel", "recipient", "template", "subject", "state", "sent_at", "body_text")
        for n in db.session.scalars(select(Notification).where(
            or_(Notification.user_id == user.id, Notification.recipient == user.email)).order_by(Notification.id))]
    export.data["audit_entries_by_you"] = [
        _row(a, "at", "action", "target_type", "target_id")
        for a in db.session.scalars(select(AuditEntry).where(AuditEntry.actor_id == user.id).order_by(AuditEntry.id))]
    return export


def _claim(claim: WarrantyClaim, export: Export) -> dict:
    item = _row(claim, "number", "rma_number", "state", "category", "description", "started_on", "preferred_remedy",
                "goodwill", "covered_at_filing", "coverage_reason", "created_at", "updated_at", "decided_at")
    item["unit"] = _unit(claim.unit)
    item["timeline"], item["photos"] = [], []
    for entry in db.session.scalars(select(ClaimEntry).where(ClaimEntry.claim_id == claim.id)
                                    .order_by(ClaimEntry.at, ClaimEntry.id)):
        if entry.kind == "photo" and entry.file_key:
            name = f"files/claims/{claim.number}/{entry.id}-{_safe(entry.body)}"
            item["photos"].append({"file": name, "added_at": _iso(entry.at), "sha256": entry.file_sha256})
            export.files.append((name, entry.file_key))
        else:  # the agent appears by role: the desk's staff are not the owner's data
            item["timeline"].append({**_row(entry, "at", "kind", "from_state", "to_state", "body"),
                                     "by": entry.author_role})
    return item


def _recalls(user: User, export: Export) -> None:
    export.data["recall_notices"] = [
        {**_row(n, "kind", "round", "created_at", "read_at"), "campaign": n.campaign.number,
         "title": n.campaign.title, "manufacturer": n.campaign.manufacturer.name}
        for n in db.session.scalars(select(RecallNotice).where(RecallNotice.user_id == user.id).order_by(RecallNotice.id))]
    # An acknowledgement belongs to whoever owned the unit when it was given: one join, not a query per unit.
    acknowledged = db.session.scalars(
        select(RecallUnit).join(Ownership, Ownership.unit_id == RecallUnit.unit_id)
        .where(Ownership.owner_id == user.id, RecallUnit.acknowledged_at.is_not(None),
               RecallUnit.acknowledged_at >= Ownership.since,
               or_(Ownership.is_current, RecallUnit.acknowledged_at <= Ownership.until))
        .order_by(Ownership.id, RecallUnit.id))
    acknowledgements = [{**_row(ru, "state", "acknowledged_at", "chosen_option", "preferred_date"),
                         "campaign": ru.campaign.number, "unit": _unit(ru.unit)} for ru in acknowledged]
    export.data["recall_acknowledgements"] = acknowledgements


def zip_chunks(export: Export, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """Write the ZIP as it is sent: data.json first, then each file read from storage in turn."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(export.data, indent=2, ensure_ascii=False))
        yield sink.take()
        for name, key in export.files:
            try:
                path = open_stored(key)
            except FileNotFoundError:
                continue
            with path.open("rb") as source, archive.open(name, "w") as target:
                while block := source.read(chunk):
                    target.write(block)
                    if sink.size >= chunk:
                        yield sink.take()
            yield sink.take()
    yield sink.take()


class _Sink:
    """A write-only stream zipfile can write to without seeking; what it wrote is taken in pieces."""

    def __init__(self):
        self._parts: list[bytes] = []
        self.size = 0
        self._offset = 0

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out, self._parts, self.size = b"".join(self._parts), [], 0
        return out
