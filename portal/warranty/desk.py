"""The claims desk's vocabulary and queue rules: what each move is called, the canned reasons, whose turn
a claim is, how long it has waited, and the queue's filters. The console pages (warranty/console.py) use
them; kept apart so the pages stay readable.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from portal.catalog.models import Lot, Unit
from portal.core.db import utcnow
from portal.extensions import db
from portal.warranty.models import ClaimEntry, ClaimState, WarrantyClaim

S = ClaimState

#: What each agent move is called on its button.
ACTIONS = {
    S.IN_REVIEW: _l("Start the review"),
    S.INFO_REQUESTED: _l("Ask the owner for information"),
    S.APPROVED: _l("Approve"),
    S.REJECTED: _l("Reject"),
    S.AWAITING_UNIT: _l("Wait for the unit"),
    S.IN_REPAIR: _l("Start the repair"),
    S.REPAIRED: _l("Mark repaired"),
    S.REPLACED: _l("Replace with another unit"),
    S.REFUNDED: _l("Refund"),
    S.CLOSED: _l("Close the claim"),
}
#: Canned reasons: picked in a <select name="template"> and used as the note when the note is left empty.
REASONS: dict[ClaimState, tuple] = {
    S.IN_REVIEW: (_l("We are looking into your claim and will come back to you within a few days."),),
    S.INFO_REQUESTED: (
        _l("Please upload a clear photo of the serial number label."),
        _l("Please upload your receipt or another proof of purchase."),
        _l("Please describe when the problem happens and what you see or hear."),
        _l("Please upload a photo or short video that shows the fault."),
    ),
    S.APPROVED: (
        _l("Approved under warranty. Print the return document and send the product to us."),
        _l("Approved as a goodwill gesture, although the warranty does not cover this."),
    ),
    S.REJECTED: (
        _l("The warranty does not cover accidental damage or normal wear."),
        _l("The warranty had ended before the problem started."),
        _l("We could not find a fault: the product works as designed."),
        _l("We did not receive the information we asked for."),
    ),
    S.AWAITING_UNIT: (_l("We are waiting for the product to arrive at our service centre."),),
    S.IN_REPAIR: (_l("Your product has arrived and is being repaired."),),
    S.REPAIRED: (_l("Repaired and tested; it is on its way back to you."),),
    S.REPLACED: (_l("The product could not be repaired; a replacement is on its way to you."),),
    S.REFUNDED: (_l("We have refunded the purchase price; it reaches you within 10 working days."),),
    S.CLOSED: (_l("Claim closed. Thank you for your patience."),),
}
#: States in which the next step is the desk's: the service target clock runs. (Not while the desk waits
#: for the owner's answer or parcel, nor once the claim is finished.)
DESK_TURN = frozenset(s for s in ClaimState if s.is_open) - {S.INFO_REQUESTED, S.AWAITING_UNIT}


def reason_text(target: ClaimState, template: str) -> str:
    options = REASONS.get(target, ())
    return str(options[int(template)]) if template.isdigit() and int(template) < len(options) else ""


def working_days(start: date, end: date) -> int:
    """Monday-to-Friday days after `start` up to and including `end` (public holidays not known)."""
    if end <= start:
        return 0
    weeks, extra = divmod((end - start).days, 7)
    return weeks * 5 + sum(1 for i in range(1, extra + 1) if (start + timedelta(days=i)).weekday() < 5)


def waiting_since(claim_ids: list[int]) -> dict[int, datetime]:
    """When each claim's current wait began: its latest state change or agent message.

    An owner's message alone does not restart the clock: the desk still owes an answer.
    """
    if not claim_ids:
        return {}
    return dict(
        db.session.execute(
            select(ClaimEntry.claim_id, func.max(ClaimEntry.at))
            .where(
                ClaimEntry.claim_id.in_(claim_ids),
                or_(ClaimEntry.kind == "state", ClaimEntry.author_role == "agent"),
            )
            .group_by(ClaimEntry.claim_id)
        ).all()
    )


@dataclass
class QueueFilters:
    state: str = "open"
    age: int | None = None
    model: int | None = None
    lot: str = ""
    covered: str = ""

    @classmethod
    def from_args(cls, args) -> QueueFilters:
        state = args.get("state", "open")
        if state not in ("open", "desk", "all", *ClaimState):
            state = "open"
        age = args.get("age", type=int)
        covered = args.get("covered", "")
        return cls(
            state=state,
            age=age if age is not None and 0 <= age <= 3650 else None,
            model=args.get("model", type=int),
            lot=args.get("lot", "").strip()[:20],
            covered=covered if covered in ("yes", "no") else "",
        )

    def args(self) -> dict:
        found = {
            "state": self.state,
            "age": self.age,
            "model": self.model,
            "lot": self.lot,
            "covered": self.covered,
        }
        return {k: v for k, v in found.items() if v not in (None, "")}

    def where(self) -> list:
        claim = WarrantyClaim
        found = []
        if self.state == "open":
            found.append(claim.state.in_([s for s in ClaimState if s.is_open]))
        elif self.state == "desk":
            found.append(claim.state.in_(list(DESK_TURN)))
        elif self.state != "all":
            found.append(claim.state == ClaimState(self.state))
        if self.age is not None:
            found.append(claim.created_at <= utcnow() - timedelta(days=self.age))
        if self.model is not None:
            found.append(Unit.model_id == self.model)
        if self.lot:
            found.append(Unit.lot_id.in_(select(Lot.id).where(Lot.code == self.lot)))
        if self.covered:
            found.append(claim.covered_at_filing.is_(self.covered == "yes"))
        return found
