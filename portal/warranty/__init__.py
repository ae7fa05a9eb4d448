"""Warranty: terms, coverage, extensions, claims and the claims desk, certificates and RMA documents."""
from __future__ import annotations

from flask import Flask

from portal.core.signals import account_erasing, files_in_use


def init_app(app: Flask) -> None:
    # Imported when wiring: the pages import most areas. The console modules add the claims desk and the
    # warranty terms to the console blueprint, which portal.console registers after every area; `erasure`
    # answers an account's erasure.
    from portal.warranty import console, console_returns, console_terms, erasure, returns, views  # noqa: F401

    app.register_blueprint(views.bp)
    app.add_template_filter(returns.country_label, "country_label")
    account_erasing.connect(erasure.erase, weak=False)
    files_in_use.connect(erasure.files_in_use, weak=False)
