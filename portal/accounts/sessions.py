"""Server-side records of sign-ins, so a person can see where they are signed in and end any of them.

The signed session cookie carries a random key; the row keeps only its sha256, the device's browser and
system (not the raw user agent) and the network the request came from (not the full address).
"""
from __future__ import annotations

import ipaddress
import re
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from portal.accounts.models import User, UserSession
from portal.core.db import utcnow
from portal.core.secrets import digest
from portal.extensions import db

#: last_seen_at is written at most this often, so reading pages does not turn each request into a write.
TOUCH_EVERY = timedelta(minutes=1)

_BROWSERS = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari")]
_SYSTEMS = [("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("CrOS", "ChromeOS"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux")]


def hash_key(key: str) -> str:
    return digest(key)


def summarize_user_agent(user_agent: str) -> str:
    """"Firefox on Android": enough to recognise a device, too little to fingerprint it."""
    ua = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in ua), "")
    system = next((name for mark, name in _SYSTEMS if mark in ua), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or re.sub(r"[^\w .-]", "", ua.split("/")[0])[:40] or "Unknown device"


def ip_prefix(address: str | None) -> str:
    """The network, not the address: /24 for IPv4, /48 for IPv6."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    bits = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def start_session(user: User, *, user_agent: str, remote_addr: str | None, second_factor: bool,
                  device: str | None = None) -> tuple[UserSession, str]:
    """Record a new sign-in; returns the row and the key for the cookie (never stored in clear). `device`:
    the browser's device cookie, kept as its hash to recognise the device at the next sign-in."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(user_id=user.id, key_hash=hash_key(key), created_at=now, last_seen_at=now,
                      user_agent=summarize_user_agent(user_agent)[:80], ip_prefix=ip_prefix(remote_addr),
                      second_factor_at=now if second_factor else None,
                      device_hash=hash_key(device) if device else None)
    db.session.add(row)
    db.session.flush()
    return row, key


def rotate_key(row: UserSession) -> str:
    """Give a live session a new key (at a privilege change): the cookie's old key stops working at once."""
    key = secrets.token_urlsafe(32)
    row.key_hash = hash_key(key)
    return key


def revoke_by_key(key: str | None) -> None:
    """End the session an earlier cookie's key names, whoever's it was (signing in again on one browser)."""
    if key and isinstance(key, str):
        db.session.execute(update(UserSession).where(UserSession.key_hash == hash_key(key),
                                                     UserSession.revoked_at.is_(None)).values(revoked_at=utcnow()))


def seen_devices(user: User, device: str | None) -> tuple[bool, bool]:
    """(has signed in before at all, has signed in before from this device); revoked sessions count too."""
    before = select(UserSession.id).where(UserSession.user_id == user.id).limit(1)
    if db.session.scalar(before) is None:
        return False, False
    return True, bool(device) and db.session.scalar(before.where(UserSession.device_hash == hash_key(device))) is not None


def require_second_factor_again(user: User) -> None:
    """At a change of `user`'s roles: every live session must pass the second factor again before the console
    opens, and passing it rotates the session's key (guard.mark_second_factor_passed)."""
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
                       .values(second_factor_at=None))


def find_session(user_id: int, key: str) -> UserSession | None:
    """The live session this cookie key names for this user, or None (revoked, unknown, someone else's)."""
    if not key or not isinstance(key, str):
        return None
    return db.session.scalar(select(UserSession).where(
        UserSession.key_hash == hash_key(key), UserSession.user_id == user_id, UserSession.revoked_at.is_(None)))


def touch(row: UserSession, *, user_agent: str = "", remote_addr: str | None = None) -> bool:
    """Move last_seen_at to now when it is more than a minute old, with the network and browser it was last
    seen from (a phone moves from Wi-Fi to mobile data and keeps its session); True when the row changed."""
    now = utcnow()
    if now - row.last_seen_at < TOUCH_EVERY:
        return False
    row.last_seen_at = now
    if remote_addr:
        row.ip_prefix = ip_prefix(remote_addr) or row.ip_prefix
    if user_agent:
        row.user_agent = summarize_user_agent(user_agent)[:80]
    return True


def active_sessions(user: User) -> list[UserSession]:
    return list(db.session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)).order_by(UserSession.last_seen_at.desc(),
                                                                                  UserSession.id.desc())))


def live_session_of(user: User, session_id: int) -> UserSession | None:
    """One of `user`'s sessions that is not revoked, or None (another person's session is None too)."""
    row = db.session.get(UserSession, session_id)
    return row if row is not None and row.user_id == user.id and row.revoked_at is None else None


def revoke_session(row: UserSession) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()


def revoke_other_sessions(user: User, keep: UserSession | None) -> int:
    """End every session of `user` except `keep`; returns how many ended."""
    stmt = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    return db.session.execute(stmt.values(revoked_at=utcnow())).rowcount


def revoke_all_sessions(user: User) -> int:
    return revoke_other_sessions(user, None)
