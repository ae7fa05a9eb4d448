"""Recall campaigns, the units they affect, and the notices owners read in the portal."""
from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.catalog.models import Unit
from portal.core.db import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class CampaignState(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"  # remedy available
    ACTIVE_NO_REMEDY = "active_no_remedy"  # announced, remedy not yet available
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str({"draft": _l("Draft"), "active": _l("Active"),
                    "active_no_remedy": _l("Active, remedy not yet available"), "closed": _l("Closed")}[self.value])

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_CAMPAIGN_STATES


#: A launched campaign that is not closed: owners are told, the public lookup and feed show it.
ACTIVE_CAMPAIGN_STATES = (CampaignState.ACTIVE, CampaignState.ACTIVE_NO_REMEDY)

TRANSITIONS = {
    CampaignState.DRAFT: {CampaignState.ACTIVE, CampaignState.ACTIVE_NO_REMEDY},
    CampaignState.ACTIVE_NO_REMEDY: {CampaignState.ACTIVE, CampaignState.CLOSED},
    CampaignState.ACTIVE: {CampaignState.CLOSED},
    CampaignState.CLOSED: set(),
}


class RemedyType(StrEnum):
    REPAIR = "repair"
    REPLACE = "replace"
    REFUND = "refund"

    @property
    def label(self) -> str:
        return str({"repair": _l("Repair"), "replace": _l("Replacement"), "refund": _l("Refund")}[self.value])


class RecallCampaign(db.Model):
    __tablename__ = "recall_campaigns"
    __table_args__ = (UniqueConstraint("manufacturer_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    number: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    hazard: Mapped[str] = mapped_column(Text)
    consequence: Mapped[str] = mapped_column(Text, default="")
    remedy_type: Mapped[RemedyType] = mapped_column(str_enum(RemedyType, "remedy_type"), default=RemedyType.REPAIR)
    remedy_instructions: Mapped[str] = mapped_column(Text, default="")
    #: One option per line, offered to owners when they acknowledge ("Repair at a dealer", "Pick-up at home").
    remedy_options: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(20), default="class II")
    contact: Mapped[str] = mapped_column(String(300), default="")
    #: Criteria as JSON: {"model_ids": [], "lots": [], "serial_ranges": [{"from": "", "to": ""}],
    #: "made_from": "YYYY-MM-DD", "made_to": "YYYY-MM-DD", "remedy_unit": "assembly" | "part"}
    criteria: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[CampaignState] = mapped_column(str_enum(CampaignState, "campaign_state"), default=CampaignState.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remedy_available_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_rounds: Mapped[int] = mapped_column(Integer, default=0)
    # The GPSR notice (Regulation (EU) 2023/988, Art. 36(2)); recalls.notice_rules checks it before launch.
    product_description: Mapped[str] = mapped_column(Text, default="", server_default="")
    product_image: Mapped[str] = mapped_column(String(255), default="", server_default="")
    identifier_location: Mapped[str] = mapped_column(Text, default="", server_default="")
    identifier_image: Mapped[str] = mapped_column(String(255), default="", server_default="")
    sold_from: Mapped[date | None] = mapped_column(Date)
    sold_to: Mapped[date | None] = mapped_column(Date)
    #: Where and by whom the product was sold (shops, web sites, countries).
    sold_where: Mapped[str] = mapped_column(Text, default="", server_default="")
    sold_by: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: ISO 3166 codes of the countries where the product was sold, comma-separated: the notice's languages.
    countries: Mapped[str] = mapped_column(String(200), default="", server_default="")
    stop_using: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    #: The remedies offered free of charge (Art. 37): repair, replacement, refund, comma-separated.
    remedies: Mapped[str] = mapped_column(String(40), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    contact_url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    share_request: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Regulators' facts: when the defect was determined (the deadlines count from it), incidents, chronology.
    determined_on: Mapped[date | None] = mapped_column(Date)
    incidents: Mapped[str] = mapped_column(Text, default="", server_default="")
    chronology: Mapped[str] = mapped_column(Text, default="", server_default="")
    units_sold: Mapped[int | None] = mapped_column(Integer)
    #: A recall manager's edits of pre-filled regulator reports, as JSON: {"report": {"field": "value"}}.
    report_edits: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")

    manufacturer: Mapped[Manufacturer] = relationship()  # noqa: F821

    @property
    def rules(self) -> dict:
        return json.loads(self.criteria or "{}")

    @property
    def offered(self) -> list[RemedyType]:
        """The remedies offered (Art. 37), in the order repair, replacement, refund."""
        chosen = {x.strip() for x in self.remedies.split(",")}
        return [r for r in RemedyType if r.value in chosen]

    @property
    def country_codes(self) -> list[str]:
        return [c.strip().upper() for c in self.countries.split(",") if c.strip()]

    @property
    def remedy_unit(self) -> str:
        """What one affected unit is: the matched "part" itself, or the outermost "assembly" holding it."""
        return remedy_unit_of(self.rules)

    @property
    def options(self) -> list[str]:
        return [line.strip() for line in self.remedy_options.splitlines() if line.strip()]

    def can_move_to(self, target: CampaignState) -> bool:
        return target in TRANSITIONS[self.state]


def remedy_unit_of(rules: dict) -> str:
    """Campaigns saved before the unit of remedy was declared said `include_assemblies`; without it they
    counted only the parts."""
    if rules.get("remedy_unit") in ("part", "assembly"):
        return rules["remedy_unit"]
    return "assembly" if rules.get("include_assemblies", True) else "part"


class RecallUnitState(StrEnum):
    OPEN = "open"
    NOTIFIED = "notified"
    ACKNOWLEDGED = "acknowledged"
    REMEDIED = "remedied"
    REMOVED = "removed"


#: An affected unit still waiting for its remedy.
OPEN_UNIT_STATES = (RecallUnitState.OPEN, RecallUnitState.NOTIFIED, RecallUnitState.ACKNOWLEDGED)

REMOVAL_REASONS = ("exported", "scrapped", "stolen", "unreachable")


def completion_rate(remedied: int, affected: int, removed: int) -> float:
    """The regulators' completion: remedied units over the affected population less removals."""
    population = affected - removed
    return remedied / population if population > 0 else 0.0


class RecallUnit(db.Model):
    """One affected unit of a campaign, tracked from notice to remedy (or removal from the population)."""

    __tablename__ = "recall_units"
    __table_args__ = (
        UniqueConstraint("campaign_id", "unit_id"),
        Index("ix_recall_units_unit_id_state", "unit_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("recall_campaigns.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    state: Mapped[RecallUnitState] = mapped_column(str_enum(RecallUnitState, "recall_unit_state"),
                                                   default=RecallUnitState.OPEN)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remedied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_reason: Mapped[str] = mapped_column(String(20), default="")
    recorded_by: Mapped[str] = mapped_column(String(254), default="")
    remedy_note: Mapped[str] = mapped_column(String(500), default="")
    remedy_place: Mapped[str] = mapped_column(String(200), default="")
    chosen_option: Mapped[str] = mapped_column(String(200), default="")
    preferred_date: Mapped[date | None] = mapped_column(Date)
    #: The unit had an owner who deleted their account: the figures keep them, the person is gone.
    owner_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: For a part counted as the unit of remedy: the outermost assembly that held it when it joined. Its owner
    #: is the part's owner, and a lookup of the assembly shows the part's recall.
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    #: The remedy the owner chose among those offered (Art. 37), and the day the remedy was booked for; once
    #: booked, the choice is the desk's to change.
    remedy_choice: Mapped[str] = mapped_column(String(12), default="", server_default="")
    scheduled_on: Mapped[date | None] = mapped_column(Date)
    #: What was done (repair, replace, refund) when the unit was remedied.
    remedy_kind: Mapped[str] = mapped_column(String(12), default="", server_default="")

    campaign: Mapped[RecallCampaign] = relationship()
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    holder: Mapped[Unit | None] = relationship(foreign_keys=[holder_id])


class RecallNotice(db.Model):
    """What an owner reads in the portal; the e-mail of the same notice goes through the outbox."""

    __tablename__ = "recall_notices"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id", "kind", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("recall_campaigns.id"))  # the unique constraint indexes it
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: interim (remedy not yet available), remedy, follow_up
    kind: Mapped[str] = mapped_column(String(20))
    round: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    campaign: Mapped[RecallCampaign] = relationship()


class SafetyContact(db.Model):
    """Registration for safety information only (Regulation (EU) 2023/988, Art. 35(2)): an e-mail address
    and a unit, no account. Used for recall notices and nothing else; erased on request (its token) or when
    the unit's campaigns end."""

    __tablename__ = "recall_safety_contacts"
    __table_args__ = (UniqueConstraint("unit_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    email: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    #: SHA-256 of the erasure token e-mailed to the contact (the token itself is never stored).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()


def notice_topic(campaign_id: int) -> str:
    """The outbox topic of a campaign's notices: notifications' bulk interface enqueues, counts and withdraws
    them by it."""
    return f"recall:{campaign_id}"
