"""API tokens (hashed bearer secrets with scopes) and remembered answers to idempotent POSTs."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.catalog.models import Manufacturer
from portal.core.db import UTCDateTime, utcnow
from portal.extensions import db


class Scope(StrEnum):
    UNITS_READ = "units:read"
    UNITS_WRITE = "units:write"
    SALES_WRITE = "sales:write"
    CLAIMS_READ = "claims:read"
    CLAIMS_WRITE = "claims:write"
    RECALLS_READ = "recalls:read"
    REMEDIES_WRITE = "remedies:write"
    EVENTS_WRITE = "events:write"
    EVENTS_READ = "events:read"
    LINKS_READ = "links:read"
    LINKS_WRITE = "links:write"
    PASSPORTS_READ = "passports:read"
    PASSPORTS_WRITE = "passports:write"
    SERVICE_WRITE = "service:write"
    RETURNS_WRITE = "returns:write"

    @property
    def words(self) -> str:
        """What the scope lets a token do, in the reader's language."""
        return str(SCOPE_WORDS[self])


SCOPE_WORDS = {
    Scope.UNITS_READ: _l("Read units, their coverage and recalls"),
    Scope.UNITS_WRITE: _l("Create units, attach components and import CSV files"),
    Scope.SALES_WRITE: _l("Record sales at the till"),
    Scope.CLAIMS_READ: _l("Read warranty claims"),
    Scope.CLAIMS_WRITE: _l("Move warranty claims through the claims desk's states"),
    Scope.RECALLS_READ: _l("Read recall campaigns"),
    Scope.REMEDIES_WRITE: _l("Record recall remedies"),
    Scope.EVENTS_WRITE: _l("Capture unit events (EPCIS)"),
    Scope.EVENTS_READ: _l("Query captured EPCIS events"),
    Scope.LINKS_READ: _l("Read the links published at your Digital Links"),
    Scope.LINKS_WRITE: _l("Publish, change and retire links at your Digital Links"),
    Scope.PASSPORTS_READ: _l("Read your products' passports, every tier"),
    Scope.PASSPORTS_WRITE: _l("Post dynamic passport data (state of health, cycles, negative events)"),
    Scope.SERVICE_WRITE: _l("Record services, repairs and parts replaced on your units (service partners)"),
    Scope.RETURNS_WRITE: _l("Set and remove the return addresses printed on return forms (RMA)"),
}

#: Printed before every token, so a leaked one is recognisable (secret scanners, logs).
TOKEN_MARK = "pvn"


class ApiToken(db.Model):
    """A bearer token of one tenant. Only a hash of its secret is kept; the prefix finds the row."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
        CheckConstraint("length(secret_hash) = 64", name="secret_hash_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    #: The admin who made it; the API acts for them where a person is needed (claims desk moves).
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(80))
    #: Public part of the token, unique: the row is found by it, then the secret's hash is compared.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    #: Space-separated scopes (Scope values); may be empty.
    scopes: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    manufacturer: Mapped[Manufacturer] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    @property
    def scope_list(self) -> list[str]:
        return [s for s in self.scopes.split() if s]

    def allows(self, scope: Scope | str) -> bool:
        """Whether the token holds `scope` and its issuer's current role allows it. `role_scopes` is set from
        that role on every request by api.tokens.authenticate; a token not authenticated there allows nothing."""
        cap = getattr(self, "role_scopes", None)
        return cap is not None and str(scope) in self.scope_list and str(scope) in cap

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    @property
    def valid_through(self) -> date:
        """The last day the token works (it expires at the midnight, UTC, after it)."""
        return (self.expires_at - timedelta(microseconds=1)).date()

    @property
    def actor_label(self) -> str:
        """How unit events and audit entries name what the token did."""
        return f"API token {self.prefix} ({self.name})"[:120]


class IdempotentRequest(db.Model):
    """The answer given to a POST with an Idempotency-Key, replayed when the same token retries it."""

    __tablename__ = "api_idempotent_requests"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    key: Mapped[str] = mapped_column(String(255))
    #: sha256 of method, path and the body's canonical JSON: the same key with another request is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
