"""Sign-up, sign-in, e-mail verification, password reset and staff memberships."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import RateLimitItemPerSecond
from sqlalchemy import func, select, update

from portal.accounts.models import Role, StaffMembership, User
from portal.accounts.sessions import require_second_factor_again, revoke_all_sessions
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, Throttled
from portal.core.i18n import LANGUAGES
from portal.core.secrets import digest
from portal.core.urls import external_url
from portal.extensions import db, limiter
from portal.notifications.services import enqueue

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD = 10
VERIFY_MAX_AGE = 3 * 24 * 3600
RESET_MAX_AGE = 3600


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise Invalid(_("Enter a valid e-mail address."), field="email")
    return email


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise Invalid(_("Choose a password of at least %(count)d characters.", count=MIN_PASSWORD), field="password")


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(email: str, password: str, *, name: str = "", verified: bool = False) -> User:
    email = normalize_email(email)
    check_password_strength(password)
    if find_user(email) is not None:
        raise Conflict(_("An account with this e-mail address already exists. Sign in, or reset your password."),
                       field="email")
    user = User(email=email, name=(name or "").strip()[:120])
    user.set_password(password)
    if verified:
        user.email_verified_at = utcnow()
    db.session.add(user)
    db.session.flush()
    return user


def sign_up(email: str, password: str, name: str = "", *, locale: str | None = None) -> User | None:
    """Create an owner account and send the verification e-mail; registering units waits for it.

    An address that already has an account gets an e-mail instead (the confirmation link again while it is
    unconfirmed, else a password-reset link) and the answer is the same as for a new one, so sign-up tells
    nobody who has an account (docs/security.md). Returns the new account, or None for a known address.
    `locale` is the language the sign-up page was read in: mail sent later speaks it until they switch.
    """
    check_password_strength(password)
    existing = find_user(normalize_email(email))
    if existing is not None:
        User(password_hash="").set_password(password)  # the same cost as creating one: no timing oracle
        if existing.email_verified_at is None:
            send_verification(existing)
        else:
            request_password_reset(existing.email)
        return None
    user = create_user(email, password, name=name)
    if locale in LANGUAGES:
        user.locale = locale
    send_verification(user)
    return user


def set_locale(user: User, code: str) -> None:
    """Remember the language `user` reads, so notices and documents made later for them use it."""
    if code not in LANGUAGES:
        raise Invalid(_("Unknown language."))
    user.locale = code


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def notify_new_device(user: User, row) -> None:
    """Tell the person a device they never signed in from before just did, once per device (the outbox's
    dedupe key names the device), with the way to end that session."""
    enqueue(
        recipient=user.email,
        user=user,
        template="new_device",
        subject=_l("New sign-in to your Provenance account"),
        dedupe_key=f"new-device:{user.id}:{(row.device_hash or '')[:32]}",
        device=row.user_agent,
        network=row.ip_prefix,
        at=row.created_at,
        link=external_url("accounts.sessions_page"),
    )


def send_verification(user: User) -> None:
    token = _serializer("verify-email").dumps({"u": user.id, "e": user.email})
    enqueue(
        recipient=user.email,
        user=user,
        template="verify_email",
        subject=_l("Confirm your e-mail address for Provenance"),
        dedupe_key=f"verify:{user.id}:{token[-16:]}",
        link=external_url("accounts.verify", token=token),
        user_obj=user,
    )


def _read_link(salt: str, token: str, max_age: int, expired: str, invalid: str) -> dict:
    try:
        return _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise Invalid(expired) from None
    except BadSignature:
        raise Invalid(invalid) from None


def verify_email(token: str) -> User:
    data = _read_link("verify-email", token, VERIFY_MAX_AGE,
                      _("This confirmation link has expired. Sign in and ask for a new one."),
                      _("This confirmation link is not valid."))
    user = db.session.get(User, data.get("u"))
    if user is None or user.email != data.get("e"):
        raise Invalid(_("This confirmation link is not valid."))
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def authenticate(email: str, password: str) -> User:
    """Check a sign-in. After repeated failures the account cools down, whoever is guessing."""
    cfg = current_app.config
    user = find_user(email or "")
    if user is None:
        User(password_hash="").set_password(password or "x")  # same cost as a real check: no timing oracle
        _count_unknown_failure(email or "")
        raise Invalid(_("E-mail address or password is wrong."))
    if user.erased_at is not None:  # deleted: its password hash matches nothing anyway; say the same as for a stranger
        raise Invalid(_("E-mail address or password is wrong."))
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        raise Throttled(_("Too many failed sign-ins for this account. Try again in a few minutes, "
                          "or reset your password."))
    if not user.check_password(password or ""):
        user.failed_signins += 1
        if user.failed_signins >= cfg["SIGNIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(seconds=cfg["SIGNIN_COOLDOWN_SECONDS"])
            user.failed_signins = 0
        raise Invalid(_("E-mail address or password is wrong."))
    user.failed_signins = 0
    user.locked_until = None
    return user


def _count_unknown_failure(email: str) -> None:
    """An address without an account cools down after as many failures as a real one, with the same answer,
    so the 429 tells nobody which addresses have accounts. Counted in the rate limiter's storage, which the
    web processes share (RATELIMIT_STORAGE_URI)."""
    cfg = current_app.config
    rule = RateLimitItemPerSecond(int(cfg["SIGNIN_MAX_FAILURES"]), int(cfg["SIGNIN_COOLDOWN_SECONDS"]))
    key = digest((email or "").strip().lower())
    if not limiter.limiter.hit(rule, "signin-unknown-address", key):
        raise Throttled(_("Too many failed sign-ins for this account. Try again in a few minutes, "
                          "or reset your password."))


def request_password_reset(email: str) -> None:
    """Mail a reset link. Unknown addresses get the same answer, so nobody learns who has an account."""
    user = find_user(email or "")
    if user is None:
        return
    token = _serializer("reset-password").dumps({"u": user.id, "v": user.auth_version})
    enqueue(
        recipient=user.email,
        user=user,
        template="reset_password",
        subject=_l("Reset your Provenance password"),
        dedupe_key=f"reset:{user.id}:{token[-16:]}",
        link=external_url("accounts.reset", token=token),
    )


def reset_password(token: str, password: str) -> User:
    """Set a new password. The link works once: the new password bumps the account's auth version."""
    data = _read_link("reset-password", token, RESET_MAX_AGE, _("This reset link has expired. Ask for a new one."),
                      _("This reset link is not valid."))
    user = db.session.get(User, data.get("u"))
    if user is None or user.auth_version != data.get("v"):
        raise Invalid(_("This reset link has already been used. Ask for a new one."))
    check_password_strength(password)
    user.set_password(password)
    user.auth_version += 1
    revoke_all_sessions(user)  # the version bump already refuses them; this also clears the Sessions page
    user.failed_signins = 0
    user.locked_until = None
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the link proved the mailbox
    audit.log(user, "account.password_reset", user)
    return user


def add_staff(manufacturer, email: str, role: Role | str, *, actor, password: str | None = None) -> StaffMembership:
    """Make a person staff of a tenant, creating their account when needed."""
    try:
        role = Role(role)
    except ValueError:
        raise Invalid(f"Unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}.", field="role") from None
    user = find_user(normalize_email(email))
    if user is None:
        if password is None:
            raise Invalid("This person has no account yet; give an initial password.", field="password")
        user = create_user(email, password, verified=True)
    existing = db.session.scalar(
        select(StaffMembership).where(StaffMembership.user_id == user.id,
                                      StaffMembership.manufacturer_id == manufacturer.id)
    )
    if existing is not None:
        if existing.role is Role.ADMIN and role is not Role.ADMIN:
            _keep_another_admin(existing)
        if existing.role is not role:
            require_second_factor_again(user)
        existing.role = role
        membership = existing
    else:
        membership = StaffMembership(user=user, manufacturer_id=manufacturer.id, role=role)
        db.session.add(membership)
        db.session.flush()
        require_second_factor_again(user)  # a new privilege: each session passes the code again, with a new key
    audit.log(actor, "staff.added", membership, manufacturer_id=manufacturer.id, email=user.email, role=role.value)
    return membership


def _keep_another_admin(membership: StaffMembership) -> None:
    """Refuse to let `membership`, an admin, stop being one when no other admin of the tenant would remain.

    The tenant's admin rows are locked first with a no-op UPDATE (a row lock on PostgreSQL, the write lock on
    SQLite), so two admins demoting or removing each other at the same moment cannot both get through.
    """
    tenant_admins = (StaffMembership.manufacturer_id == membership.manufacturer_id) & (StaffMembership.role == Role.ADMIN)
    db.session.execute(update(StaffMembership).where(tenant_admins).values(role=StaffMembership.role)
                       .execution_options(synchronize_session=False))
    others = db.session.scalar(select(func.count()).select_from(StaffMembership)
                               .where(tenant_admins, StaffMembership.id != membership.id))
    if not others:
        raise Conflict("A tenant keeps at least one admin.", field="role")


def remove_staff(membership: StaffMembership, *, actor) -> None:
    if membership.role is Role.ADMIN:
        _keep_another_admin(membership)
    audit.log(actor, "staff.removed", membership, manufacturer_id=membership.manufacturer_id,
              email=membership.user.email)
    db.session.delete(membership)
