"""Authenticity: signing keys, signed labels and label sheets, verdicts, NFC taps, clone alerts."""
from __future__ import annotations

from flask import Flask

from portal.core.signals import account_erasing, files_in_use


def init_app(app: Flask) -> None:
    # Imported when wiring: the pages import most areas; `erasure` answers an account's erasure.
    from portal.authenticity import erasure, views
    from portal.authenticity.evidence import evidence_for_reader

    app.register_blueprint(views.bp)
    app.add_template_filter(evidence_for_reader, "alert_evidence")
    account_erasing.connect(erasure.erase, weak=False)
    files_in_use.connect(erasure.files_in_use, weak=False)
