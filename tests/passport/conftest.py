"""Passport fixtures: the battery maker of tests/support/passport.py (a complete PowerPack passport, packs with
dynamic data, a signing key, and readers of every tier)."""
from __future__ import annotations

import pytest

from tests.support.passport import Battery, build_battery


@pytest.fixture
def battery(app) -> Battery:
    return build_battery(app)
