"""The catalog: manufacturers (tenants), company prefixes, product models, lots, units, their event history
(EPCIS capture) and unit imports."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.catalog.models import biz_step_label, event_note  # imported when wiring, as every area does

    app.jinja_env.filters.update(biz_step=biz_step_label, event_note=event_note)
