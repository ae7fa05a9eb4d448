"""Insights: a face over catalog, ownership, warranty and recalls data that answers what a product, finance
or quality lead asks of serial data (docs/insights.md). Each insight is a query module returning frozen
dataclasses and CSV rows; `console` shows them under /console/<tenant>/insights/.
"""
from __future__ import annotations

from flask import Flask

from portal.core.signals import units_landed


def init_app(app: Flask) -> None:
    # Imported when wiring: the pages import most areas. `console` adds the insight pages to the console
    # blueprint, which portal.console registers after every area.
    from portal.insights import cli, console, refresh  # noqa: F401

    app.cli.add_command(cli.insights)
    units_landed.connect(refresh.units_changed)  # units changed without a new event (EPCIS error declarations)
