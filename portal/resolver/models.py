"""Links manufacturers publish at their products' Digital Links, beside the portal's own."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class LinkScope(StrEnum):
    """Which level of a Digital Link the link belongs to."""
    MODEL = "model"  # /01/<gtin> (and so every level below it)
    LOT = "lot"  # /01/<gtin>/10/<lot> for one lot
    UNIT = "unit"  # /01/<gtin>/21/<serial> for every unit of the model, through a URI template


class ManagedLink(db.Model):
    """One link: its type is a GS1 Web Vocabulary term; a retired link answers 410 for that type."""
    __tablename__ = "resolver_links"
    __table_args__ = (
        CheckConstraint("(scope = 'lot') = (lot IS NOT NULL)", name="lot_only_for_lot_scope"),
        Index("ix_resolver_links_model_scope", "model_id", "scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("product_models.id"))
    scope: Mapped[LinkScope] = mapped_column(str_enum(LinkScope, "link_scope"))
    lot: Mapped[str | None] = mapped_column(String(20))
    link_type: Mapped[str] = mapped_column(String(60))
    #: https only; for the unit scope a template that may hold {gtin}, {serial} and {lot}.
    target: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="")
    media_type: Mapped[str] = mapped_column(String(100), default="text/html")
    context: Mapped[str] = mapped_column(String(60), default="")
    #: The link a request without a link type goes to, at its level (at most one live default per level).
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
