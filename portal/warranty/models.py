"""Warranty terms beyond the base months, extended coverage, and claims with their state machine."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.catalog.models import BizStep, Unit
from portal.core.db import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class ClockStart(StrEnum):
    PURCHASE = "purchase"  # purchase date with proof; else manufacture + grace; else first registration
    REGISTRATION = "registration"  # first registration
    MANUFACTURE = "manufacture"  # manufacture date + grace


class ReplacementRule(StrEnum):
    REMAINING = "remaining"  # the replacement keeps what was left of the original's coverage
    FRESH = "fresh"  # the replacement starts a full new term


class WarrantyTerms(db.Model):
    """A model's warranty rules. The base length is ProductModel.warranty_months."""

    __tablename__ = "warranty_terms"
    __table_args__ = (CheckConstraint("grace_days >= 0 AND grace_days <= 730", name="grace_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("product_models.id"), unique=True)
    clock_start: Mapped[ClockStart] = mapped_column(str_enum(ClockStart, "clock_start"), default=ClockStart.PURCHASE)
    grace_days: Mapped[int] = mapped_column(Integer, default=90)
    survives_transfer: Mapped[bool] = mapped_column(default=True)
    replacement_rule: Mapped[ReplacementRule] = mapped_column(str_enum(ReplacementRule, "replacement_rule"),
                                                              default=ReplacementRule.REMAINING)
    #: What the base term covers, comma-separated: parts, labour (accidental damage only by extension).
    scope: Mapped[str] = mapped_column(String(60), default="parts,labour")


class ExtendedCoverage(db.Model):
    """Coverage added to one unit later (an extended warranty bought, a goodwill extension)."""

    __tablename__ = "extended_coverages"
    __table_args__ = (CheckConstraint("months > 0 AND months <= 240", name="months_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    months: Mapped[int] = mapped_column(Integer)
    #: comma-separated of parts, labour, accidental
    scope: Mapped[str] = mapped_column(String(60), default="parts,labour")
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClaimState(StrEnum):
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    INFO_REQUESTED = "info_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    AWAITING_UNIT = "awaiting_unit"
    IN_REPAIR = "in_repair"
    REPAIRED = "repaired"
    REPLACED = "replaced"
    REFUNDED = "refunded"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str({
            "submitted": _l("Submitted"), "in_review": _l("In review"), "info_requested": _l("Information requested"),
            "approved": _l("Approved"), "rejected": _l("Rejected"), "awaiting_unit": _l("Awaiting the unit"),
            "in_repair": _l("In repair"), "repaired": _l("Repaired"), "replaced": _l("Replaced"),
            "refunded": _l("Refunded"), "closed": _l("Closed"), "withdrawn": _l("Withdrawn"),
        }[self.value])

    @property
    def is_open(self) -> bool:
        return self not in (ClaimState.CLOSED, ClaimState.WITHDRAWN, ClaimState.REJECTED)


@dataclass(frozen=True)
class Transition:
    by: str  # "agent" or "owner"
    note_required: bool = False
    biz_step: BizStep | None = None
    notify: bool = True


S = ClaimState
_DECIDABLE = (S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED)
#: The one table of allowed moves: (from, to) -> who may, whether a note is needed, the unit event recorded.
TRANSITIONS: dict[tuple[ClaimState, ClaimState], Transition] = {
    (S.SUBMITTED, S.IN_REVIEW): Transition("agent", notify=False),
    **{(s, S.INFO_REQUESTED): Transition("agent", note_required=True) for s in (S.SUBMITTED, S.IN_REVIEW)},
    (S.INFO_REQUESTED, S.IN_REVIEW): Transition("owner", note_required=True),
    **{(s, S.APPROVED): Transition("agent") for s in _DECIDABLE},
    **{(s, S.REJECTED): Transition("agent", note_required=True) for s in _DECIDABLE},
    **{(s, S.WITHDRAWN): Transition("owner") for s in _DECIDABLE},
    (S.APPROVED, S.AWAITING_UNIT): Transition("agent"),
    (S.APPROVED, S.IN_REPAIR): Transition("agent", biz_step=BizStep.REPAIRING),
    (S.AWAITING_UNIT, S.IN_REPAIR): Transition("agent", biz_step=BizStep.REPAIRING),
    (S.IN_REPAIR, S.REPAIRED): Transition("agent", biz_step=BizStep.REPAIRING),
    **{(s, S.REPLACED): Transition("agent", biz_step=BizStep.REPLACING) for s in (S.APPROVED, S.AWAITING_UNIT, S.IN_REPAIR)},
    **{(s, S.REFUNDED): Transition("agent", biz_step=BizStep.DECOMMISSIONING) for s in (S.APPROVED, S.AWAITING_UNIT)},
    **{(s, S.CLOSED): Transition("agent", notify=False) for s in (S.REPAIRED, S.REPLACED, S.REFUNDED, S.REJECTED)},
}

CATEGORIES = ("does_not_work", "intermittent_fault", "damage_on_arrival", "cosmetic", "battery", "accident", "other")
REMEDIES = ("repair", "replacement", "refund")


class WarrantyClaim(db.Model):
    __tablename__ = "warranty_claims"
    __table_args__ = (CheckConstraint("photo_count <= 5", name="at_most_five_photos"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    rma_number: Mapped[str | None] = mapped_column(String(16), unique=True)
    #: ISO 3166-1 alpha-2 country the owner sends the product from, as they said when filing (picks the
    #: manufacturer's return address for the RMA document; empty: the default address).
    return_country: Mapped[str] = mapped_column(String(2), default="")
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    started_on: Mapped[date | None] = mapped_column(Date)
    preferred_remedy: Mapped[str] = mapped_column(String(20), default="repair")
    goodwill: Mapped[bool] = mapped_column(default=False)
    covered_at_filing: Mapped[bool] = mapped_column(default=False)
    coverage_reason: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[ClaimState] = mapped_column(str_enum(ClaimState, "claim_state"), default=ClaimState.SUBMITTED)
    photo_count: Mapped[int] = mapped_column(Integer, default=0)
    replacement_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What the claim cost the manufacturer, entered by the desk when it closes the claim (insights' reserve).
    cost_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    cost_currency: Mapped[str | None] = mapped_column(String(3))
    #: Optimistic lock: two agents deciding at once cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads this class attribute

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    owner: Mapped[User] = relationship()

    def can_move_to(self, target: ClaimState, by: str) -> bool:
        rule = TRANSITIONS.get((self.state, target))
        return rule is not None and rule.by == by


class ClaimEntry(db.Model):
    """The claim's timeline: state changes, messages between owner and agent, uploaded evidence."""

    __tablename__ = "claim_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("warranty_claims.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_role: Mapped[str] = mapped_column(String(10))  # owner / agent / system
    kind: Mapped[str] = mapped_column(String(12))  # state / message / photo
    from_state: Mapped[str] = mapped_column(String(20), default="")
    to_state: Mapped[str] = mapped_column(String(20), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    file_key: Mapped[str | None] = mapped_column(String(80))
    file_sha256: Mapped[str | None] = mapped_column(String(64), index=True)


class ReturnAddress(db.Model):
    """Where a manufacturer receives returns from owners in one country, or from everywhere else (the
    default: `country` empty). The RMA document prints the address for the claim's country."""

    __tablename__ = "return_addresses"
    __table_args__ = (UniqueConstraint("manufacturer_id", "country"),)  # one address per country, one default

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    #: ISO 3166-1 alpha-2 of the owners this address serves; "" for the default.
    country: Mapped[str] = mapped_column(String(2), default="")
    #: The postal address as it goes on a parcel, one line per line (recipient, street, postcode and town,
    #: country), at most six lines.
    lines: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
