"""Issuing, revoking and checking API tokens.

A token reads `pvn_<prefix>_<secret>`. The prefix is public and unique, so the row is found by an
indexed lookup; the secret is 32 random bytes and only its sha256 is stored. A slow password KDF adds
nothing for a secret with 256 bits of entropy, and the comparison is constant-time.
"""
from __future__ import annotations

import hmac
import secrets
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.models import Role, StaffMembership, User
from portal.api.models import TOKEN_MARK, ApiToken, Scope
from portal.catalog.models import Manufacturer
from portal.core import audit, errors
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, Unauthenticated
from portal.core.secrets import digest
from portal.extensions import db

PREFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
PREFIX_LENGTH = 10
MAX_DAYS = 730
#: The most a token may do, by its issuer's current role in the tenant, checked on every request: a token acts
#: for the person who issued it and never outranks them, so demoting an admin narrows their tokens at once
#: (docs/api.md). Admins hold every scope, including any added later; a role not listed here holds none.
ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.CLAIMS_AGENT: frozenset({Scope.UNITS_READ, Scope.CLAIMS_READ, Scope.CLAIMS_WRITE}),
    Role.RECALL_MANAGER: frozenset({Scope.UNITS_READ, Scope.RECALLS_READ, Scope.REMEDIES_WRITE}),
    Role.ANALYST: frozenset({Scope.UNITS_READ, Scope.CLAIMS_READ, Scope.RECALLS_READ, Scope.EVENTS_READ}),
    Role.SERVICE_PARTNER: frozenset({Scope.SERVICE_WRITE}),
}


def scopes_for_role(role: Role) -> frozenset[str]:
    """What a token issued by someone of `role` may do at most."""
    if role is Role.ADMIN:
        return frozenset(s.value for s in Scope)
    return frozenset(str(s) for s in ROLE_SCOPES.get(role, ()))


#: last_used_at is written at most this often per token, so reads do not turn into a write each.
TOUCH_EVERY = timedelta(minutes=1)


class InsufficientScope(errors.InsufficientScope):
    """A manufacturer's token without the scope; says which scope, and who can issue one."""

    def __init__(self, scope: str):
        super().__init__(f"This token lacks the scope {scope}. A tenant admin can issue one that has it.")
        self.scope = scope


def hash_secret(secret: str) -> str:
    return digest(secret)


def check_scopes(scopes) -> list[str]:
    known = {s.value for s in Scope}
    chosen = [str(s) for s in scopes or []]
    unknown = [s for s in chosen if s not in known]
    if unknown:
        raise Invalid(_("Unknown scope %(scope)s; choose from %(known)s.", scope=repr(unknown[0]),
                        known=", ".join(sorted(known))), field="scopes")
    return [s.value for s in Scope if s.value in chosen]  # canonical order, no repeats


def issue_token(tenant: Manufacturer, *, name: str, scopes, expires_on: date, actor: User) -> tuple[ApiToken, str]:
    """Make a token for `tenant`; returns it with the full secret, which is never shown again.

    The token stays valid through `expires_on` (the whole day, UTC) and at most two years.
    """
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise Invalid(_("Name the token after what uses it (up to 80 characters), e.g. “Till, Zurich shop”."),
                      field="name")
    today = utcnow().date()
    if expires_on is None or expires_on < today:
        raise Invalid(_("Choose an expiry date from today on."), field="expires_on")
    if expires_on > today + timedelta(days=MAX_DAYS):
        raise Invalid(_("A token may last at most %(days)d days; issue a new one before it expires.", days=MAX_DAYS),
                      field="expires_on")
    chosen = check_scopes(scopes)
    prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    secret = secrets.token_urlsafe(32)
    token = ApiToken(manufacturer_id=tenant.id, created_by_id=actor.id, name=name, prefix=prefix,
                     secret_hash=hash_secret(secret), scopes=" ".join(chosen), created_at=utcnow(),
                     expires_at=datetime.combine(expires_on + timedelta(days=1), time(0), UTC))
    db.session.add(token)
    db.session.flush()
    audit.log(actor, "api_token.issued", token, manufacturer_id=tenant.id, prefix=prefix, name=name,
              scopes=chosen, expires_on=expires_on.isoformat())
    return token, f"{TOKEN_MARK}_{prefix}_{secret}"


def revoke_token(token: ApiToken, *, actor: User) -> None:
    """Stop a token at once; its row stays for the audit log and its prefix is never reused."""
    if token.revoked_at is not None:
        raise Conflict(_("This token is already revoked."))
    token.revoked_at, token.revoked_by_id = utcnow(), actor.id
    audit.log(actor, "api_token.revoked", token, manufacturer_id=token.manufacturer_id, prefix=token.prefix,
              name=token.name)


def split_token(raw: str) -> tuple[str, str] | None:
    mark, _, rest = (raw or "").partition("_")
    prefix, _, secret = rest.partition("_")
    if mark != TOKEN_MARK or len(prefix) != PREFIX_LENGTH or not secret or len(secret) > 200:
        return None
    return prefix, secret


def find_token(raw: str) -> ApiToken | None:
    """The token this bearer string names, when its secret matches; whether it may act is separate."""
    parts = split_token(raw)
    if parts is None:
        return None
    prefix, secret = parts
    token = db.session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
    if token is None or not hmac.compare_digest(token.secret_hash, hash_secret(secret)):
        return None
    return token


def authenticate(raw: str | None) -> ApiToken:
    """The token that may act now, or Unauthenticated saying why not.

    A token acts for the admin who made it: once that person is no longer staff of the tenant, their
    tokens stop working too, and while they are, the token's scopes are capped by their current role.
    """
    if not raw:
        raise Unauthenticated("Send a token as 'Authorization: Bearer <token>'. Tenant admins issue tokens "
                              "in the console under API tokens.")
    token = find_token(raw)
    if token is None:
        raise Unauthenticated("This token is not valid.")
    now = utcnow()
    if token.revoked_at is not None:
        raise Unauthenticated("This token was revoked.")
    if now >= token.expires_at:
        raise Unauthenticated("This token has expired.")
    role = db.session.scalar(select(StaffMembership.role).where(
        StaffMembership.user_id == token.created_by_id, StaffMembership.manufacturer_id == token.manufacturer_id))
    if role is None:
        raise Unauthenticated("The person who issued this token is no longer staff of the manufacturer.")
    token.role_scopes = scopes_for_role(role)  # read by ApiToken.allows; never stored
    return token


def touch(token: ApiToken) -> bool:
    """Note that the token was used; returns whether a write happened (at most once a minute)."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return False
    token.last_used_at = now
    return True
