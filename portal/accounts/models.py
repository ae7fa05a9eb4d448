"""People: owners, manufacturer staff and platform admins, and the roles staff hold in a tenant."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.core.db import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class Role(StrEnum):
    ADMIN = "admin"
    CLAIMS_AGENT = "claims_agent"
    RECALL_MANAGER = "recall_manager"
    ANALYST = "analyst"
    #: An authorised service centre: records services on the tenant's units and opens nothing else of the
    #: console (accounts.tenancy.PARTNER_PAGES).
    SERVICE_PARTNER = "service_partner"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS.get(self.value, self.value.replace("_", " ").capitalize()))


#: A role's name in the reader's language (the console's team page and forms).
ROLE_LABELS = {"admin": _l("Admin"), "claims_agent": _l("Claims agent"), "recall_manager": _l("Recall manager"),
               "analyst": _l("Analyst"), "service_partner": _l("Service partner")}


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
    #: Set when the owner deleted their account: the row stays (claims and unit history point at it), the person
    #: is gone (portal.privacy.erasure).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def display_name(self) -> str:
        if self.erased_at is not None:
            return gettext("Former owner (erased)")
        return self.name or self.email

    @property
    def contact_email(self) -> str:
        """The address to show staff: empty once erased (the stored one is a non-routable tombstone)."""
        return "" if self.erased_at is not None else self.email


class StaffMembership(db.Model):
    __tablename__ = "staff_memberships"
    __table_args__ = (UniqueConstraint("user_id", "manufacturer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "staff_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    manufacturer: Mapped[Manufacturer] = relationship()  # noqa: F821


class SecondFactor(db.Model):
    """A person's authenticator (TOTP, RFC 6238): staff and platform admins must have one, owners may."""

    __tablename__ = "second_factors"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    #: The shared secret, encrypted with the key-encryption key (portal.core.secrets).
    secret_encrypted: Mapped[str] = mapped_column(Text)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The newest 30-second time step a code was accepted for: a code (and any older one) works once.
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    failed_codes: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A single-use code for when the phone is away; only its sha256 is kept (80 random bits each)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(db.Model):
    """One sign-in on one device. The signed session cookie carries its key; revoking the row ends it."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id_device_hash", "user_id", "device_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: sha256 of the random key in the cookie, so the table alone cannot be replayed as cookies.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(80), default="")
    ip_prefix: Mapped[str] = mapped_column(String(64), default="")
    #: When this session passed the second factor; the console and admin pages need it.
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: sha256 of the browser's long-lived device cookie: a sign-in from a device no earlier session of the
    #: person came from is a new device, and they are told by e-mail (docs/security.md, Sessions).
    device_hash: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()
