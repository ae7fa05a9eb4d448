"""Request glue for sign-in state: the session record behind the cookie and the second-factor gate.

Flask-Login keeps who is signed in; this module adds the server-side session row (so it can be listed
and revoked) and the rule that staff pages need a session that passed the second factor.
"""
from __future__ import annotations

import re
import secrets

from flask import current_app, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal.accounts import services, sessions
from portal.accounts.models import User, UserSession
from portal.accounts.second_factor import factor_of, needs_second_factor
from portal.core.db import utcnow
from portal.extensions import db

SESSION_KEY = "sid"
#: A random id the browser keeps (not a session: it grants nothing), to tell a known device from a new one.
DEVICE_COOKIE = "device"
DEVICE_COOKIE_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")


def sign_in(user: User, *, second_factor: bool) -> UserSession:
    """Sign `user` in on this browser with a fresh session record: a new key (no fixation), the browser's
    earlier session ended (rotation at sign-in), and a notice by e-mail when the device is new to them."""
    session.pop("pending_second_factor", None)
    sessions.revoke_by_key(session.get(SESSION_KEY))
    device = request.cookies.get(DEVICE_COOKIE, "")
    if not _DEVICE_ID.match(device):
        device = g.new_device_cookie = secrets.token_urlsafe(24)
    signed_in_before, known_device = sessions.seen_devices(user, device)
    login_user(user)
    row, key = sessions.start_session(user, user_agent=request.user_agent.string, remote_addr=request.remote_addr,
                                      second_factor=second_factor, device=device)
    session[SESSION_KEY] = key
    g.user_session = row
    if signed_in_before and not known_device:
        services.notify_new_device(user, row)
    return row


def rotate_current_session() -> None:
    """A new key for this browser's session (at a privilege change): a copy of the old cookie stops working."""
    row = current_session()
    if row is not None:
        session[SESSION_KEY] = sessions.rotate_key(row)


def set_device_cookie(response):
    """After a first sign-in on this browser: keep its device id (HttpOnly; it identifies nobody by itself)."""
    device = g.pop("new_device_cookie", None)
    if device:
        response.set_cookie(DEVICE_COOKIE, device, max_age=DEVICE_COOKIE_AGE, httponly=True, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", True))
    return response


def sign_out() -> None:
    row = current_session()
    if row is not None:
        sessions.revoke_session(row)
    logout_user()
    session.pop(SESSION_KEY, None)


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the user, only while the password has not changed and the session lives."""
    uid, _, version = (user_id or "").partition(".")
    if not uid.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(uid))
    if user is None or user.auth_version != int(version):
        return None
    row = sessions.find_session(user.id, session.get(SESSION_KEY))
    if row is None:
        return None
    g.user_session = row
    return user


def current_session() -> UserSession | None:
    if not current_user or not current_user.is_authenticated:
        return None
    return g.get("user_session")


def touch_current_session() -> None:
    """Before each page: note the session was seen (at most once a minute; committed alone, first)."""
    if request.endpoint == "static" or "_user_id" not in session:
        return
    row = current_session()
    if row is not None and sessions.touch(row, user_agent=request.user_agent.string, remote_addr=request.remote_addr):
        db.session.commit()


def mark_second_factor_passed() -> None:
    """The session passed the second factor (a privilege change): noted, and its key rotated."""
    row = current_session()
    if row is not None:
        row.second_factor_at = utcnow()
        rotate_current_session()


def second_factor_gate():
    """For console and admin pages: None when this session may go on, else a redirect to the code or enrolment.

    Called after the sign-in check. People who need no second factor pass; their pages decide the rest.
    """
    if not needs_second_factor(current_user):
        return None
    row = current_session()
    if row is not None and row.second_factor_at is not None:
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    if factor_of(current_user) is None:
        return redirect(url_for("accounts.second_factor", next=target))
    return redirect(url_for("accounts.signin_code", next=target))
