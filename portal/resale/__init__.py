"""Resale: ownership proofs for listings, their live status and verifiable credential, and the transfer at the
moment of sale through ownership's transfer codes (docs/resale.md)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported when wiring: the models register the area's tables before anything queries.
    from portal.resale import models  # noqa: F401
