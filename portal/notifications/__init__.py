"""Notifications: the outbox of e-mails, delivered by the worker (and right after the request that queued them
when MAIL_DELIVER_AFTER_REQUEST is set)."""
from __future__ import annotations

from flask import Flask, g

from portal.core.signals import account_erasing
from portal.extensions import db


def init_app(app: Flask) -> None:
    # Imported when wiring, as every area does; `erasure` answers an account's erasure.
    from portal.notifications import erasure, services

    account_erasing.connect(erasure.erase, weak=False)

    @app.after_request
    def deliver_fresh_mail(response):
        ids = g.pop("outbox_ids", None)
        if ids and app.config.get("MAIL_DELIVER_AFTER_REQUEST") and response.status_code < 400:
            try:
                services.deliver_due(limit=len(ids), only_ids=ids)
            except Exception:
                db.session.rollback()
                app.logger.exception("immediate delivery failed; the worker will retry")
        return response

