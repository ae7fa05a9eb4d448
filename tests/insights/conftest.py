"""Insights fixtures: the small shop of tests/support/insights.py, whose every insight can be worked out by hand
(its units, sales, registrations and claims are listed there)."""
from __future__ import annotations

import pytest

from portal.extensions import db
from tests.support.insights import Shop, build_shop


@pytest.fixture
def shop(ctx) -> Shop:
    return build_shop()


@pytest.fixture
def shop_site(app) -> Shop:
    """The shop, committed, for tests that go through the pages (no open application context)."""
    with app.app_context():
        shop = build_shop()
        db.session.remove()
    return shop
