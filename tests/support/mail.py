"""Delivering the outbox to the test SMTP server and following the links in what arrived."""
from __future__ import annotations

import re

from portal.notifications.services import deliver_due


def deliver(app):
    with app.app_context():
        return deliver_due()


def link_in(message, path: str) -> str:
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"http://portal\.test(" + re.escape(path) + r"[^\s]+)", body)
    assert match, body
    return match.group(1)
