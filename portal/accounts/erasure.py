"""What accounts erase of a person (core.signals.account_erasing): the user row stays, since other records point
at it, but loses the address, the name and the password, and every session of it stops working; files it
staged with a form never accepted go too."""
from __future__ import annotations

from portal.accounts.models import User
from portal.core import staging
from portal.core.signals import Erasure
from portal.extensions import db


def erase(erasure: Erasure, **_) -> None:
    user = db.session.get(User, erasure.user_id)
    user.email = erasure.tombstone_email
    user.name = ""
    user.password_hash = "!erased"  # matches no password: werkzeug refuses a hash without a method
    user.email_verified_at = None  # recall fan-outs and mail skip unverified accounts
    user.auth_version += 1  # every session of this account stops working
    user.failed_signins, user.locked_until = 0, None
    user.erased_at = erasure.at
    erasure.file_keys.update(staging.forget(user.id))  # files sent with a form never accepted
