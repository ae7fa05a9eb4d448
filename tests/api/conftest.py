"""API fixtures: the two-tenant world, tokens issued through the service, a client that sends them."""
from __future__ import annotations

import pytest

from tests.factories import build_world
from tests.support.api import ALL_SCOPES, ApiClient, as_problem, make_token  # noqa: F401


@pytest.fixture
def world(app):
    return build_world(app)


@pytest.fixture
def token(app, world):
    return make_token(app, world)


@pytest.fixture
def api(client, token):
    """A client holding an acme token with every scope."""
    return ApiClient(client, token)


