"""Deeply nested JSON and huge integers are refused with 400 problem+json before any parser sees them."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.core.json_limits import MAX_DEPTH, MAX_DIGITS, json_limit_problem
from tests.factories import build_world
from tests.support.api import make_token

ENDPOINTS = ["/api/v1/units", "/api/v1/remedies", "/scans/place"]
NESTED = "[" * 50_000 + "]" * 50_000  # a RecursionError in json.loads
NESTED_IN_FIELD = '{"units": ' + "[" * 5_000 + "]" * 5_000 + "}"
HUGE_INT = '{"units": [{"gtin": ' + "9" * 5_000 + ', "serial": "A"}], "lat": ' + "1" * 5_000 + "}"


@pytest.fixture
def bearer(app):
    world = build_world(app)
    return {"Authorization": f"Bearer {make_token(app, world)}"}


def _problem(response, why: str) -> None:
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["type"].endswith("/malformed-json") and why in body["detail"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("body, why", [(NESTED, "levels deep"), (NESTED_IN_FIELD, "levels deep"),
                                       (HUGE_INT, "digits")], ids=["nested", "nested-field", "huge-int"])
def test_hostile_json_gets_a_400_problem_not_a_500(app, bearer, path, body, why):
    response = app.test_client().post(path, data=body, content_type="application/json", headers=bearer)
    _problem(response, why)


def test_utf16_does_not_hide_the_nesting(app, bearer):
    response = app.test_client().post("/api/v1/units", data=NESTED.encode("utf-16-le"),
                                      content_type="application/json", headers=bearer)
    _problem(response, "levels deep")


def test_brackets_and_digits_inside_strings_are_only_text():
    body = json.dumps({"units": [{"gtin": "4012345000016", "serial": "[" * 500 + "9" * 500}]}).encode()
    assert json_limit_problem(body) is None


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                max_size=3), max_leaves=20)


def _nest(value, depth: int, kind: str):
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


@settings(max_examples=60, deadline=None)
@given(value=JSON)
def test_any_ordinary_document_passes_and_parses(value):
    raw = json.dumps(value).encode()
    assert json_limit_problem(raw) is None
    json.loads(raw)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=st.integers(MAX_DEPTH + 1, 800), kind=st.sampled_from(["list", "dict"]), value=JSON)
def test_any_document_nested_too_deep_is_named_so(depth, kind, value):
    assert "levels deep" in json_limit_problem(json.dumps(_nest(value, depth, kind)).encode())


@settings(max_examples=40, deadline=None)
@given(digits=st.integers(MAX_DIGITS + 1, 6_000), sign=st.sampled_from(["", "-"]), where=st.sampled_from(
    ['{"lat": %s}', "[1, %s]", '{"units": [{"gtin": %s}]}']))
def test_any_integer_too_long_is_named_so(digits, sign, where):
    assert "digits" in json_limit_problem((where % (sign + "7" * digits)).encode())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=st.integers(MAX_DEPTH + 1, 20_000), digits=st.integers(MAX_DIGITS + 1, 20_000),
       path=st.sampled_from(ENDPOINTS), huge=st.booleans())
def test_the_endpoints_answer_400_for_any_such_body(app, depth, digits, path, huge):
    body = '{"lat": %s}' % ("9" * digits) if huge else "[" * depth + "]" * depth
    response = app.test_client().post(path, data=body, content_type="application/json")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
