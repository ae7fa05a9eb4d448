"""EPCIS REST binding fixtures: the two-tenant world with acme's watch movements, and tokens (the helpers that
capture through /epcis/capture and build GS1-style documents are in tests/support/epcis.py)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from portal.catalog.models import Manufacturer, UnitEvent
from portal.catalog.services import add_model
from portal.extensions import db
from tests.factories import build_world
from tests.support.api import ALL_SCOPES, make_token
from tests.support.epcis import MOVEMENT


@pytest.fixture
def world(app):
    """build_world, its units commissioned in January 2025 (before the documents' events), and acme's
    watch movements (a second product model)."""
    world = build_world(app)
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        add_model(acme, gtin=MOVEMENT, name="Movement", warranty_months=24, actor="test")
        db.session.execute(update(UnitEvent).values(occurred_at=datetime(2025, 1, 10, 12, tzinfo=UTC)))
        db.session.commit()
    return world


@pytest.fixture
def token(app, world):
    return make_token(app, world, ALL_SCOPES)


@pytest.fixture
def bravo_token(app, world):
    return make_token(app, world, ALL_SCOPES, tenant="bravo")
