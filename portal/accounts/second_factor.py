"""Staff second factor: TOTP (RFC 6238) with single-use recovery codes.

Staff and platform admins must enrol before the console opens to them; owners may enrol too. A code is
accepted within one 30-second step either side of now, and only for a step newer than the last one
accepted, so an overheard code cannot be replayed. Wrong codes cool the account down like wrong passwords.
"""
from __future__ import annotations

import base64
import hmac
import io
import os
import secrets
from datetime import datetime, timedelta

import qrcode
import qrcode.image.svg
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from portal.accounts.models import RecoveryCode, SecondFactor, StaffMembership, User
from portal.accounts.sessions import revoke_all_sessions
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Invalid, Throttled
from portal.core.secrets import decrypt_secret, digest, encrypt_secret
from portal.extensions import db

ISSUER = "Provenance"
DIGITS = 6
PERIOD = 30
WINDOW = 1  # steps either side of now: phones whose clocks are a little off still work
RECOVERY_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # 31 symbols; 16 of them carry 79 bits
SECRET_BYTES = 20  # RFC 4226 recommends 160 bits for HMAC-SHA1


def needs_second_factor(user: User) -> bool:
    """Staff of any tenant and platform admins must have a second factor."""
    if user.is_platform_admin:
        return True
    return db.session.scalar(select(StaffMembership.id).where(StaffMembership.user_id == user.id).limit(1)) is not None


def factor_of(user: User) -> SecondFactor | None:
    return db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id))


def new_secret() -> bytes:
    return os.urandom(SECRET_BYTES)


def secret_text(secret: bytes) -> str:
    """The secret as authenticator apps accept it typed in: base32, no padding, in groups of four."""
    raw = base64.b32encode(secret).decode().rstrip("=")
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def secret_from_text(text: str) -> bytes:
    raw = "".join(text.split()).upper()
    return base64.b32decode(raw + "=" * (-len(raw) % 8))


def _totp(secret: bytes) -> TOTP:
    return TOTP(secret, DIGITS, SHA1(), PERIOD, enforce_key_length=False)


def provisioning_uri(secret: bytes, account: str) -> str:
    return _totp(secret).get_provisioning_uri(account, ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG (one path, no script, fits the strict CSP)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg"):]


def step_at(when: datetime) -> int:
    return int(when.timestamp()) // PERIOD


def code_for(secret: bytes, step: int) -> str:
    """The code an authenticator shows during `step` (tests and the demo use it too)."""
    return _totp(secret).generate(step * PERIOD).decode()


def _matching_step(secret: bytes, code: str, now: datetime, newer_than: int | None) -> int | None:
    here = step_at(now)
    for step in range(here - WINDOW, here + WINDOW + 1):
        if newer_than is not None and step <= newer_than:
            continue
        if hmac.compare_digest(code_for(secret, step), code):
            return step
    return None


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _hash_recovery(code: str) -> str:
    return digest(_normalise(code))


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def _drop(user: User) -> bool:
    had = factor_of(user) is not None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))
    return had


def enrol(user: User, secret: bytes, *, actor, last_step: int | None = None) -> list[str]:
    """Give `user` this authenticator secret and ten fresh recovery codes, which are returned in clear once.

    Replaces any factor the user had (with its codes). The demo and the tests call this directly with a known
    secret; people go through `confirm_enrolment`, which checks they can read a code first.
    """
    replaced = _drop(user)
    db.session.add(SecondFactor(user_id=user.id, secret_encrypted=encrypt_secret(secret), enrolled_at=utcnow(),
                                last_step=last_step))
    codes = [_new_recovery_code() for _ in range(RECOVERY_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(c)) for c in codes)
    db.session.flush()
    audit.log(actor, "second_factor.replaced" if replaced else "second_factor.enrolled", user,
              recovery_codes=RECOVERY_COUNT)
    return codes


def confirm_enrolment(user: User, secret: bytes, code: str) -> list[str]:
    """Enrol `secret` once the person typed a code it generates now: proof their app holds it."""
    step = _matching_step(secret, _normalise(code), utcnow(), None)
    if step is None:
        raise Invalid(_("That code does not match. Type the 6 digits your app shows now."), field="code")
    return enrol(user, secret, actor=user, last_step=step)


def check_code(user: User, code: str) -> str:
    """Accept a current authenticator code or an unused recovery code; returns "totp" or "recovery".

    Failures count towards the same kind of cool-down as passwords; the caller commits either way.
    """
    factor = factor_of(user)
    if factor is None:
        raise Invalid(_("No second factor is set up for this account."), field="code")
    now = utcnow()
    if factor.locked_until and factor.locked_until > now:
        raise Throttled(_("Too many wrong codes for this account. Wait a few minutes, then try again."), field="code")
    typed = _normalise(code)
    kind = None
    if len(typed) == DIGITS and typed.isdigit():
        step = _matching_step(decrypt_secret(factor.secret_encrypted), typed, now, factor.last_step)
        if step is not None:
            factor.last_step, kind = step, "totp"
    elif typed:
        recovery = db.session.scalar(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_recovery(typed),
            RecoveryCode.used_at.is_(None)))
        if recovery is not None:
            recovery.used_at, kind = now, "recovery"
            db.session.flush()
            audit.log(user, "second_factor.recovery_code_used", user, left=recovery_codes_left(user))
    if kind is None:
        cfg = current_app.config
        factor.failed_codes += 1
        if factor.failed_codes >= cfg["SIGNIN_MAX_FAILURES"]:
            factor.locked_until = now + timedelta(seconds=cfg["SIGNIN_COOLDOWN_SECONDS"])
            factor.failed_codes = 0
        raise Invalid(_("That code is not right, or was already used. Type the 6 digits your app shows now, "
                        "or one of your recovery codes."), field="code")
    factor.failed_codes = 0
    factor.locked_until = None
    return kind


def may_reset_factor(actor: User, member: User, *, by_platform: bool = False) -> bool:
    """Who may take away `member`'s second factor: never oneself (one's own is replaced with a fresh code on
    the account page), and a platform admin's only by another platform admin (`by_platform`)."""
    return member.id != actor.id and (by_platform or not member.is_platform_admin)


def reset_second_factor(user: User, *, actor, manufacturer_id: int | None = None) -> None:
    """Remove a person's factor (a lost phone): they set up a new one at their next sign-in.

    Their sessions end too, so whoever holds the lost phone and a session cookie is out.
    """
    if not _drop(user):
        raise Invalid(f"{user.email} has no second factor to reset.")
    revoke_all_sessions(user)
    audit.log(actor, "second_factor.reset", user, manufacturer_id=manufacturer_id, email=user.email)
