"""The catalog: manufacturers (tenants), company prefixes, product models, lots, units, their event history
(EPCIS capture) and unit imports."""
from __future__ import annotations

from flask import Flask

from portal.core.signals import account_erasing


def init_app(app: Flask) -> None:
    # Imported when wiring, as every area does; `erasure` answers an account's erasure.
    from portal.catalog import erasure, models

    account_erasing.connect(erasure.erase, weak=False)
    app.jinja_env.filters.update(biz_step=models.biz_step_label, event_note=models.event_note)
