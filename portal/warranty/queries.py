"""The reads behind the warranty pages (docs/architecture.md, "Reads and writes"): the claims desk's queue and
claim file, and an owner's claims. Each returns what its page shows; the desk's rules (whose turn it is,
working days, the service-time target, the moves an agent may make) are applied here, not in the views."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from flask import current_app, g
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from portal.accounts.models import User
from portal.accounts.tenancy import PAGE, scoped, scoped_count
from portal.catalog.models import ProductModel, Unit
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.warranty.coverage import local_date
from portal.warranty.desk import ACTIONS, DESK_TURN, REASONS, QueueFilters, waiting_since, working_days
from portal.warranty.models import TRANSITIONS, ClaimEntry, ClaimState, WarrantyClaim

#: How many of the unit's and the person's other claims a claim file lists.
OTHER_CLAIMS = 20


class Wait(NamedTuple):
    """How long a claim has waited for the desk, in working days (None when it is the owner's turn)."""
    days: int | None
    overdue: bool


@dataclass(frozen=True)
class Queue:
    claims: list[WarrantyClaim]
    waits: dict[int, Wait]
    total: int
    models: list[ProductModel]
    target: int
    today: date
    next_after: int | None


@dataclass(frozen=True)
class Move:
    """A state an agent may move the claim to, with its rule, its button and its canned reasons."""
    target: ClaimState
    rule: object
    action: str
    reasons: tuple


@dataclass(frozen=True)
class ClaimFile:
    entries: list[ClaimEntry]
    authors: dict[int, User]
    ownerships: list[Ownership]
    unit_claims: list[WarrantyClaim]
    person_claims: list[WarrantyClaim]
    moves: list[Move]
    waited: int | None
    target: int

    @property
    def photos(self) -> list[ClaimEntry]:
        return [e for e in self.entries if e.kind == "photo" and e.file_key]


def _target_days() -> int:
    return current_app.config["CLAIM_SERVICE_TARGET_DAYS"]


def _waited(claim: WarrantyClaim, since: datetime, today: date) -> int | None:
    return working_days(local_date(since), today) if claim.state in DESK_TURN else None


def claims_queue(filters: QueueFilters, after: int | None, now: datetime) -> Queue:
    """One page of the tenant's claims matching `filters`, oldest first, after the claim `after` (keyset on
    filing time and id), with how long each has waited and the count of all that match."""
    where = filters.where()
    stmt = (
        scoped(WarrantyClaim).join(Unit, Unit.id == WarrantyClaim.unit_id).where(*where)
        .options(contains_eager(WarrantyClaim.unit).options(joinedload(Unit.model), joinedload(Unit.lot)),
                 joinedload(WarrantyClaim.owner))
        .order_by(WarrantyClaim.created_at, WarrantyClaim.id).limit(PAGE + 1)
    )
    if after:
        pivot = (select(WarrantyClaim.created_at)
                 .where(WarrantyClaim.id == after, WarrantyClaim.manufacturer_id == g.tenant.id).scalar_subquery())
        stmt = stmt.where(or_(WarrantyClaim.created_at > pivot,
                              and_(WarrantyClaim.created_at == pivot, WarrantyClaim.id > after)))
    found = db.session.scalars(stmt).unique().all()
    rows = found[:PAGE]
    since = waiting_since([c.id for c in rows])
    target, today = _target_days(), local_date(now)
    waits = {}
    for c in rows:
        days = _waited(c, since.get(c.id, c.created_at), today)
        waits[c.id] = Wait(days, days is not None and days > target)
    return Queue(
        claims=rows, waits=waits, target=target, today=today,
        total=db.session.scalar(scoped_count(WarrantyClaim).join(Unit, Unit.id == WarrantyClaim.unit_id).where(*where)),
        models=list(db.session.scalars(scoped(ProductModel).order_by(ProductModel.name))),
        next_after=rows[-1].id if len(found) > PAGE else None,
    )


def claim_file(claim: WarrantyClaim, now: datetime) -> ClaimFile:
    """Everything the desk shows about one claim: its entries (a filing's photos after its state entry), their
    authors, the unit's owners, the unit's and the person's other claims, the moves open to an agent."""
    entries = sorted(db.session.scalars(select(ClaimEntry).where(ClaimEntry.claim_id == claim.id)),
                     key=lambda e: (e.at, e.kind != "state", e.id))
    author_ids = {e.author_id for e in entries if e.author_id}
    authors = ({u.id: u for u in db.session.scalars(select(User).where(User.id.in_(author_ids)))}
               if author_ids else {})
    others = scoped(WarrantyClaim).where(WarrantyClaim.id != claim.id).order_by(WarrantyClaim.created_at.desc())
    since = waiting_since([claim.id]).get(claim.id, claim.created_at)
    return ClaimFile(
        entries=entries, authors=authors,
        ownerships=list(db.session.scalars(
            select(Ownership).options(joinedload(Ownership.owner)).where(Ownership.unit_id == claim.unit_id)
            .order_by(Ownership.since))),
        unit_claims=list(db.session.scalars(others.where(WarrantyClaim.unit_id == claim.unit_id)
                                            .limit(OTHER_CLAIMS))),
        person_claims=list(db.session.scalars(others.where(WarrantyClaim.owner_id == claim.owner_id,
                                                           WarrantyClaim.unit_id != claim.unit_id)
                                              .limit(OTHER_CLAIMS))),
        moves=[Move(target, rule, ACTIONS[target], REASONS.get(target, ()))
               for (source, target), rule in TRANSITIONS.items() if source is claim.state and rule.by == "agent"],
        waited=_waited(claim, since, local_date(now)), target=_target_days(),
    )


def claim_photo(claim: WarrantyClaim, entry_id: int) -> ClaimEntry | None:
    """A photo of this claim that has its file, or None."""
    entry = db.session.scalar(select(ClaimEntry).where(ClaimEntry.id == entry_id, ClaimEntry.claim_id == claim.id,
                                                       ClaimEntry.kind == "photo"))
    return entry if entry is not None and entry.file_key else None


# --- an owner's claims -----------------------------------------------------------------------------------

def claim_numbered(number: str) -> WarrantyClaim | None:
    return db.session.scalar(select(WarrantyClaim).where(WarrantyClaim.number == number))


def claims_of(owner_id: int) -> list[WarrantyClaim]:
    """The owner's claims, the most recently changed first."""
    return list(db.session.scalars(select(WarrantyClaim).where(WarrantyClaim.owner_id == owner_id)
                                   .order_by(WarrantyClaim.updated_at.desc(), WarrantyClaim.id.desc())))


def claims_on_unit_of(unit_id: int, owner_id: int) -> list[WarrantyClaim]:
    """The owner's claims on one unit, newest first (a previous owner's claims stay private)."""
    return list(db.session.scalars(select(WarrantyClaim).where(
        WarrantyClaim.unit_id == unit_id, WarrantyClaim.owner_id == owner_id)
        .order_by(WarrantyClaim.created_at.desc(), WarrantyClaim.id.desc())))


#: The states in which a claim waits for its owner: an answer to the desk's question, or the parcel.
OWNER_TURN = (ClaimState.INFO_REQUESTED, ClaimState.AWAITING_UNIT)


def claims_waiting_for(owner_id: int) -> dict[int, WarrantyClaim]:
    """The owner's claims whose next step is theirs, by unit (the oldest waiting one per unit), for My products."""
    waiting: dict[int, WarrantyClaim] = {}
    for claim in db.session.scalars(select(WarrantyClaim).where(
            WarrantyClaim.owner_id == owner_id, WarrantyClaim.state.in_(OWNER_TURN))
            .order_by(WarrantyClaim.updated_at, WarrantyClaim.id)):
        waiting.setdefault(claim.unit_id, claim)
    return waiting


def entries_of(claim: WarrantyClaim) -> list[ClaimEntry]:
    return list(db.session.scalars(select(ClaimEntry).where(ClaimEntry.claim_id == claim.id)
                                   .order_by(ClaimEntry.at, ClaimEntry.id)))


def open_question(claim: WarrantyClaim) -> ClaimEntry | None:
    """The desk's latest request for information, while the claim waits for the owner's answer."""
    if claim.state is not ClaimState.INFO_REQUESTED:
        return None
    return db.session.scalar(select(ClaimEntry).where(
        ClaimEntry.claim_id == claim.id, ClaimEntry.kind == "state",
        ClaimEntry.to_state == ClaimState.INFO_REQUESTED.value).order_by(ClaimEntry.id.desc()).limit(1))


def replacement_of(claim: WarrantyClaim) -> Unit | None:
    return db.session.get(Unit, claim.replacement_unit_id) if claim.replacement_unit_id else None


def current_ownership_id(unit_id: int, owner_id: int) -> int | None:
    """The owner's current ownership of the unit, if they still own it."""
    return db.session.scalar(select(Ownership.id).where(Ownership.unit_id == unit_id, Ownership.is_current,
                                                        Ownership.owner_id == owner_id))


def ownership(ownership_id: int) -> Ownership | None:
    return db.session.get(Ownership, ownership_id)


def photo_entry(entry_id: int) -> ClaimEntry | None:
    return db.session.get(ClaimEntry, entry_id)


# --- claims the manufacturer handled, for a unit's service history (servicing/) ----------------------------

@dataclass(frozen=True)
class HandledClaim:
    """A repair, replacement or refund the manufacturer made under a claim: what and when, nobody's name."""

    outcome: str  # "repaired", "replaced" or "refunded"
    on: datetime


def handled_claims_on_unit(unit_id: int) -> list[HandledClaim]:
    """Every repair, replacement or refund made under a claim on the unit, whoever owned it then, oldest first."""
    handled = (ClaimState.REPAIRED.value, ClaimState.REPLACED.value, ClaimState.REFUNDED.value)
    rows = db.session.execute(
        select(ClaimEntry.to_state, ClaimEntry.at).join(WarrantyClaim, WarrantyClaim.id == ClaimEntry.claim_id)
        .where(WarrantyClaim.unit_id == unit_id, ClaimEntry.kind == "state", ClaimEntry.to_state.in_(handled))
        .order_by(ClaimEntry.at, ClaimEntry.id))
    return [HandledClaim(outcome=state, on=at) for state, at in rows]
