"""Ownership: registrations with proof of purchase, transfers, stolen reports and disputes."""
from __future__ import annotations

from flask import Flask

from portal.core.signals import account_erasing, files_in_use


def init_app(app: Flask) -> None:
    # Imported when wiring: the pages import most areas; `erasure` answers an account's erasure.
    from portal.ownership import erasure, views

    app.register_blueprint(views.bp)
    account_erasing.connect(erasure.erase, weak=False)
    files_in_use.connect(erasure.files_in_use, weak=False)
