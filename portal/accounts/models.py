"""People: owners, manufacturer staff and platform admins, and the roles staff hold in a tenant."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.core.db import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class Role(StrEnum):
    ADMIN = "admin"
    CLAIMS_AGENT = "claims_agent"
    RECALL_MANAGER = "recall_manager"
    ANALYST = "analyst"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failed_signins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Bumped on a password change: every session signed in before it stops working.
    auth_version: Mapped[int] = mapped_column(default=1)
    #: The language chosen with the switcher ("en", "fr", "de"), so mail and PDFs sent later speak it too.
    locale: Mapped[str | None] = mapped_column(String(5))

    memberships: Mapped[list[StaffMembership]] = relationship(back_populates="user")

    def set_password(self, password: str) -> None:
        # scrypt: a memory-hard KDF with a per-hash salt; its cost is a setting (tests lower it).
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    def get_id(self) -> str:
        return f"{self.id}.{self.auth_version}"

    @property
    def display_name(self) -> str:
        return self.name or self.email


class StaffMembership(db.Model):
    __tablename__ = "staff_memberships"
    __table_args__ = (UniqueConstraint("user_id", "manufacturer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "staff_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    manufacturer: Mapped["Manufacturer"] = relationship()  # noqa: F821
