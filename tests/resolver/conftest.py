"""Resolver test data: the factory world with signing keys, and the three kinds of code a label carries."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from tests.support.labels import keyed_world, sign_unit

DATA = Path(__file__).parent / "data"
ROOT = "https://id.provenance.test"  # the tests ask over HTTPS, as GS1 resolvers are reached


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


def linkset_validator() -> Draft7Validator:
    return Draft7Validator(json.loads((DATA / "gs1-linkset-schema.json").read_text()))


def bare(uri_or_path: str) -> str:
    return uri_or_path.split("?", 1)[0]
