"""Reads of ownership proofs: the live status a buyer, a marketplace or the owner's page is shown.

The query API other code builds on (docs/resale.md):

- `proof_status(token, now=None) -> ProofStatus | None`: the live status of the proof whose public token is
  `token` (the last path segment of its link, 22 URL-safe characters); None when the token is malformed or
  unknown. Never raises for bad input.
- `status_of(proof, now=None) -> ProofStatus`: the same for an `OwnershipProof` already loaded.
- `find_proof(token) -> OwnershipProof | None`: the proof row itself (for services).
- `token_of(proof) -> str`: the proof's token, for its owner's pages only.
- `proofs_of(ownership_id, now=None) -> list[ProofSummary]`: an owner's proofs of one unit, newest first,
  each with its link token (only ever shown to that owner).
- `live_count(unit_id, now=None) -> int`: proofs of a unit that are neither revoked nor expired.

A `ProofStatus` holds nothing about who the owner is: no name, e-mail, account id, address or city, and
no ownership id. `holds` answers a marketplace's question "does the seller's proof still hold now?".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.catalog.models import Disposition, Unit, UnitEvent
from portal.core.db import utcnow
from portal.core.secrets import decrypt_secret, digest
from portal.extensions import db
from portal.ownership.models import Ownership, TransferState
from portal.recalls.models import ACTIVE_CAMPAIGN_STATES, OPEN_UNIT_STATES, RecallUnitState
from portal.recalls.services import recalls_for_unit
from portal.resale.models import OwnershipProof, RevokedBecause, SerialShown
from portal.servicing.queries import ServiceEntry, history_for_unit
from portal.warranty.coverage import CoverageFacts, coverage, terms_for
from portal.warranty.models import ExtendedCoverage

#: A proof token: 16 random bytes as unpadded base64url (secrets.token_urlsafe(16)).
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{22}")
#: How many trailing characters of the serial a masked proof shows.
SHOWN_TAIL = 4


class ProofState(StrEnum):
    """The live state of a proof, most serious first when several apply (docs/resale.md, "Live status")."""
    STOLEN = "stolen"  # the unit is reported stolen now
    TRANSFERRED = "transferred"  # the unit changed hands after the proof was issued
    REVOKED = "revoked"  # the owner revoked it
    EXPIRED = "expired"  # its validity ran out
    RECALLED = "recalled"  # it holds, but an open safety recall affects the unit
    VALID = "valid"  # it holds

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {ProofState.STOLEN: _l("Reported stolen"), ProofState.TRANSFERRED: _l("Transferred"),
                ProofState.REVOKED: _l("Revoked"), ProofState.EXPIRED: _l("Expired"),
                ProofState.RECALLED: _l("Valid, under a recall"), ProofState.VALID: _l("Valid")}


#: The verdict kind (authenticity's words and colours) each state is shown with.
VERDICT_KIND = {ProofState.VALID: "genuine", ProofState.RECALLED: "warning", ProofState.STOLEN: "warning",
                ProofState.TRANSFERRED: "warning", ProofState.REVOKED: "cannot_verify",
                ProofState.EXPIRED: "cannot_verify"}


@dataclass(frozen=True)
class ProofProduct:
    gtin: str
    model_id: int
    model_name: str
    manufacturer: str
    has_image: bool
    #: The first day of the manufacture month (show it with the `month_year` filter), or None.
    manufactured_month: date | None
    #: The serial as the owner chose to show it: in full, or all but the last characters masked.
    serial: str
    serial_masked: bool


@dataclass(frozen=True)
class RecallFact:
    number: str
    title: str
    open: bool  # an active campaign and the unit not remedied yet


@dataclass(frozen=True)
class CarriedWarranty:
    """The warranty a buyer would get if the unit changed hands now, by the warranty area's own rules."""
    carries: bool
    until: date | None
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class ProofStatus:
    #: A short, public reference to quote (not the token, not a database id).
    reference: str
    state: ProofState
    #: Does the proof still prove that the person presenting it owns the unit? (valid or recalled)
    holds: bool
    #: authenticity's verdict kind: "genuine", "warning" or "cannot_verify".
    verdict: str
    issued_at: datetime
    expires_at: datetime
    #: When the proof stopped holding (revoked, transferred, reported stolen, or expiry), else None.
    ended_at: datetime | None
    product: ProofProduct
    #: Registered to the presenter since (their ownership's start; show as month/year). None unless `holds`.
    registered_since: date | None
    stolen: bool
    recalls: tuple[RecallFact, ...]
    #: None unless `holds` (a failed proof shows no facts it did not prove).
    warranty: CarriedWarranty | None
    #: The unit's service history (servicing.queries.ServiceEntry, oldest first) when the owner chose to include
    #: it and the proof holds; None otherwise.
    service: tuple[ServiceEntry, ...] | None
    #: The seller has offered the transfer from this proof and the buyer has not confirmed receipt yet.
    transfer_offered: bool

    @property
    def open_recalls(self) -> tuple[RecallFact, ...]:
        return tuple(r for r in self.recalls if r.open)


@dataclass(frozen=True)
class ProofSummary:
    """One of an owner's proofs, for their unit page."""
    id: int
    token: str
    status: ProofStatus


def token_hash(token: str) -> str:
    return digest("resale-proof:" + token)


def reference_of(proof: OwnershipProof) -> str:
    """10 upper-case characters derived from the token's hash: quotable, and no way back to the token."""
    return proof.token_hash[:10].upper()


def find_proof(token: str) -> OwnershipProof | None:
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        return None
    return db.session.scalar(select(OwnershipProof).where(OwnershipProof.token_hash == token_hash(token)))


def proof_status(token: str, now: datetime | None = None) -> ProofStatus | None:
    proof = find_proof(token)
    return None if proof is None else status_of(proof, now)


def live_count(unit_id: int, now: datetime | None = None) -> int:
    now = now or utcnow()
    return db.session.scalar(select(func.count()).select_from(OwnershipProof).where(
        OwnershipProof.unit_id == unit_id, OwnershipProof.revoked_at.is_(None), OwnershipProof.expires_at > now))


def token_of(proof: OwnershipProof) -> str:
    """The proof's public token, for its owner's pages (decrypted from its copy at rest)."""
    return decrypt_secret(proof.token_enc).decode()


def proofs_of(ownership_id: int, now: datetime | None = None) -> list[ProofSummary]:
    now = now or utcnow()
    proofs = db.session.scalars(select(OwnershipProof).where(OwnershipProof.ownership_id == ownership_id)
                                .order_by(OwnershipProof.created_at.desc(), OwnershipProof.id.desc()).limit(20))
    return [ProofSummary(p.id, token_of(p), status_of(p, now)) for p in proofs]


def masked(serial: str) -> str:
    """All but the last characters replaced by bullets ("•••••1234"); a short serial keeps only its last two."""
    tail = SHOWN_TAIL if len(serial) > SHOWN_TAIL + 1 else max(len(serial) - 2, 0) or 1
    return "•" * max(len(serial) - tail, 3) + serial[-tail:]


def _stolen_since(unit: Unit) -> datetime | None:
    return db.session.scalar(select(func.max(UnitEvent.occurred_at)).where(
        UnitEvent.unit_id == unit.id, UnitEvent.disposition == Disposition.STOLEN, UnitEvent.retracted_at.is_(None)))


def _state(proof: OwnershipProof, unit: Unit, recalls: tuple[RecallFact, ...],
           now: datetime) -> tuple[ProofState, datetime | None]:
    ownership = proof.ownership
    if unit.is_stolen:
        return ProofState.STOLEN, proof.revoked_at or _stolen_since(unit)
    if ownership.until is not None:  # transferred, or ended when its owner deleted their account
        if ownership.ended_reason == "transferred":
            return ProofState.TRANSFERRED, ownership.until
        return ProofState.REVOKED, proof.revoked_at or ownership.until
    if proof.revoked_at is not None:
        if proof.revoked_because is RevokedBecause.TRANSFERRED:
            return ProofState.TRANSFERRED, proof.revoked_at
        return ProofState.REVOKED, proof.revoked_at
    if proof.expires_at <= now:
        return ProofState.EXPIRED, proof.expires_at
    if any(r.open for r in recalls):
        return ProofState.RECALLED, None
    return ProofState.VALID, None


def _recalls(unit: Unit) -> tuple[RecallFact, ...]:
    return tuple(RecallFact(ru.campaign.number, ru.campaign.title,
                            ru.state in OPEN_UNIT_STATES and ru.campaign.state in ACTIVE_CAMPAIGN_STATES)
                 for ru in recalls_for_unit(unit.id) if ru.state is not RecallUnitState.REMOVED)


def carried_warranty(unit: Unit, now: datetime | None = None) -> CarriedWarranty:
    """The coverage a buyer would have today if the unit were transferred now: warranty.coverage with the
    unit's ownerships plus a transfer starting now, so the model's `survives_transfer` rule applies as it
    will at a real transfer (a replacement unit's term follows the replaced unit and is read as it stands)."""
    now = now or utcnow()
    if unit.replaces_id:
        cover = coverage(unit, now)
    else:
        owners = list(db.session.scalars(select(Ownership).where(Ownership.unit_id == unit.id)
                                         .order_by(Ownership.since)))
        owners.append(SimpleNamespace(source="transfer", since=now, purchased_on=None, proof_key=None))
        extensions = list(db.session.scalars(select(ExtendedCoverage).where(ExtendedCoverage.unit_id == unit.id)))
        cover = coverage(unit, now, known=CoverageFacts(terms_for(unit.model), owners, extensions))
    return CarriedWarranty(cover.covered, cover.until if cover.covered else None, cover.scopes if cover.covered else ())


def service_history(unit_id: int) -> tuple[ServiceEntry, ...]:
    """The unit's service history as a proof shows it (servicing.queries.history_for_unit: date, what was done,
    the centre, a replaced part's serial, and whether a partner or a warranty claim; no notes, no documents,
    nobody who recorded it), oldest first."""
    return tuple(history_for_unit(unit_id))


def status_of(proof: OwnershipProof, now: datetime | None = None) -> ProofStatus:
    now = now or utcnow()
    unit = proof.unit
    model = unit.model
    recalls = _recalls(unit)
    state, ended_at = _state(proof, unit, recalls, now)
    holds = state in (ProofState.VALID, ProofState.RECALLED)
    open_offer = (proof.transfer_offer is not None and proof.transfer_offer.state is TransferState.OPEN
                  and proof.transfer_offer.expires_at > now)
    product = ProofProduct(
        gtin=model.gtin, model_id=model.id, model_name=model.name, manufacturer=model.manufacturer.name,
        has_image=bool(model.image_path),
        manufactured_month=unit.manufactured_on.replace(day=1) if unit.manufactured_on else None,
        serial=unit.serial if proof.serial_shown is SerialShown.FULL else masked(unit.serial),
        serial_masked=proof.serial_shown is not SerialShown.FULL)
    return ProofStatus(
        reference=reference_of(proof), state=state, holds=holds, verdict=VERDICT_KIND[state],
        issued_at=proof.created_at, expires_at=proof.expires_at, ended_at=ended_at, product=product,
        registered_since=proof.ownership.since.date() if holds else None, stolen=unit.is_stolen, recalls=recalls,
        warranty=carried_warranty(unit, now) if holds else None,
        service=service_history(unit.id) if holds and proof.include_service else None,
        transfer_offered=holds and open_offer)
