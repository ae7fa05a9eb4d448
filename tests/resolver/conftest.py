"""Resolver fixtures: the factory world with signing keys, the three kinds of code a label carries, and a GET
that asks over HTTPS (the shared helpers are in tests/support/resolver.py)."""
from __future__ import annotations

import pytest

from tests.support.labels import keyed_world, sign_unit
from tests.support.resolver import ROOT


@pytest.fixture
def world(app):
    return keyed_world(app)


@pytest.fixture
def codes(app, world):
    """A signed serial URI, a GTIN-only URI and a lot URI of the test data (path and query)."""
    return {"serial": sign_unit(app, world.unit_ids_a[0]), "gtin": f"/01/{world.gtin_a}",
            "lot": f"/01/{world.gtin_a}/10/L1"}


@pytest.fixture
def get(client):
    def get(path, **headers):
        return client.get(path, base_url=ROOT, headers=headers)
    return get

