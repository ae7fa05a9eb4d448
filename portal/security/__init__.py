"""Request guards that hold for every page and API answer alike (docs/security.md).

- A JSON body is checked for nesting depth and number size before any view parses it
  (portal.core.json_limits): beyond the limits it gets 400 problem+json, not a 500.
"""
from __future__ import annotations

from flask import Flask

from portal.core.json_limits import refuse_hostile_json


def init_app(app: Flask) -> None:
    app.before_request(refuse_hostile_json)
