"""Resolver test data: where the resolver's data files are, the host the tests ask, a linkset schema
validator, and the path of a URI without its query."""
from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft7Validator

DATA = Path(__file__).parent.parent / "resolver" / "data"
ROOT = "https://id.provenance.test"  # the tests ask over HTTPS, as GS1 resolvers are reached


def linkset_validator() -> Draft7Validator:
    return Draft7Validator(json.loads((DATA / "gs1-linkset-schema.json").read_text()))


def bare(uri_or_path: str) -> str:
    return uri_or_path.split("?", 1)[0]
