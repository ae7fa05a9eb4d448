"""The recall tests' fixture; their data and helpers live in tests/support/recalls.py."""
import pytest

from tests.support.recalls import build_fleet


@pytest.fixture
def fleet(app):
    """The bike fleet with its owners and recall staff (tests/support/recalls.py)."""
    return build_fleet(app)
