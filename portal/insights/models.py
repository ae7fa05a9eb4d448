"""The insights' summary: one row of facts per unit, kept by `portal.insights.refresh` (docs/insights.md, "Speed").

Every insight groups a tenant's units by what it knows of each: made when, sold when and where, registered
when. Worked out from the units, their sale events and their ownerships, those facts cost three joins and
a grouping per unit each time a view opens; kept here, a view reads one narrow table by tenant. Each date
is a day number and a month number (portal.insights.sql); the sale and the registration are kept apart, so
a view can still ask "as known before day D" (the reserve's backtest does).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime
from portal.extensions import db


class UnitFacts(db.Model):
    """What the insights know of one unit (not built into another), as of the last refresh."""

    __tablename__ = "insight_unit_facts"
    __table_args__ = (Index("ix_insight_unit_facts_tenant", "manufacturer_id", "model_id"),)

    # No foreign keys: a summary, rebuilt from the tables it summarises (`flask insights refresh --full`).
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    manufacturer_id: Mapped[int] = mapped_column(Integer)
    model_id: Mapped[int] = mapped_column(Integer)
    lot_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(30))
    made: Mapped[int | None] = mapped_column(Integer)  # day number of the manufacture date
    made_m: Mapped[int | None] = mapped_column(Integer)
    sale: Mapped[int | None] = mapped_column(Integer)  # day of the first sale a till or partner recorded
    sale_m: Mapped[int | None] = mapped_column(Integer)
    shop: Mapped[str | None] = mapped_column(String(200))
    sale_country: Mapped[str | None] = mapped_column(String(2))
    registered: Mapped[int | None] = mapped_column(Integer)  # UTC day of the first registration
    registered_m: Mapped[int | None] = mapped_column(Integer)
    purchased: Mapped[int | None] = mapped_column(Integer)  # the first owner's purchase date
    purchased_m: Mapped[int | None] = mapped_column(Integer)
    retailer: Mapped[str | None] = mapped_column(String(160))
    owner_country: Mapped[str | None] = mapped_column(String(2))


class RefreshState(db.Model):
    """How far the summary has read: the highest unit, event and ownership ids seen, and when."""

    __tablename__ = "insight_refresh_state"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)  # "facts"
    unit_id: Mapped[int] = mapped_column(BigInteger, default=0)
    event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    ownership_id: Mapped[int] = mapped_column(BigInteger, default=0)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    units: Mapped[int] = mapped_column(BigInteger, default=0)  # rows written by that refresh
