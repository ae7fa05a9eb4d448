"""What every endpoint shares: problem documents, idempotent POSTs, cursor pagination, the OpenAPI document."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.catalog.models import BizStep, UnitEvent
from portal.extensions import db
from tests.support.api import as_problem


def sale(world, index: int = 0, **overrides) -> dict:
    return {"gtin": world.gtin_a, "serial": world.serials_a[index], "retailer": "Acme Boutique Zurich",
            "sold_on": date.today().isoformat(), **overrides}


def sale_events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(UnitEvent)
                                 .where(UnitEvent.biz_step == BizStep.RETAIL_SELLING))


# --- Idempotency ----------------------------------------------------------------------------------

def test_a_retried_sale_answers_the_same_and_is_recorded_once(app, world, api):
    headers = {"Idempotency-Key": "till-7-receipt-0042"}
    first = api.post("/api/v1/sales", json=sale(world), headers=headers)
    again = api.post("/api/v1/sales", json=sale(world), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert sale_events(app) == 1


def test_a_retry_with_keys_in_another_order_is_the_same_request(app, world, api):
    headers = {"Idempotency-Key": "k-1"}
    first = api.post("/api/v1/sales", json=sale(world), headers=headers)
    body = sale(world)
    reordered = api.client.post("/api/v1/sales", data=__import__("json").dumps(dict(reversed(body.items()))),
                                content_type="application/json",
                                headers={**headers, "Authorization": f"Bearer {api.token}"})
    assert reordered.status_code == 201 and reordered.get_json() == first.get_json()
    assert sale_events(app) == 1


def test_the_same_key_with_another_body_is_refused(app, world, api):
    headers = {"Idempotency-Key": "till-7-receipt-0043"}
    assert api.post("/api/v1/sales", json=sale(world, 0), headers=headers).status_code == 201
    body = as_problem(api.post("/api/v1/sales", json=sale(world, 1), headers=headers), 422, "idempotency-key-reused")
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert sale_events(app) == 1


def test_keys_belong_to_one_token(app, world, api):
    from tests.support.api import ApiClient, make_token

    other = ApiClient(api.client, make_token(app, world))
    headers = {"Idempotency-Key": "shared-key"}
    assert api.post("/api/v1/sales", json=sale(world, 0), headers=headers).status_code == 201
    assert other.post("/api/v1/sales", json=sale(world, 1), headers=headers).status_code == 201
    assert sale_events(app) == 2


def test_a_refused_request_is_not_remembered(app, world, api):
    headers = {"Idempotency-Key": "retry-after-fixing"}
    as_problem(api.post("/api/v1/sales", json=sale(world, sold_on="2199-01-01"), headers=headers), 422, "invalid")
    assert api.post("/api/v1/sales", json=sale(world), headers=headers).status_code == 201


def test_two_copies_racing_each_other_do_the_work_once(app, world, api, monkeypatch):
    """The copy that loses the race at the unique (token, key) row rolls its work back and replays the winner."""
    from portal.api import idempotency

    headers = {"Idempotency-Key": "racing"}
    winner = api.post("/api/v1/sales", json=sale(world), headers=headers)
    real_find, calls = idempotency._find, []

    def late_find(token, key):  # the loser looked before the winner had committed
        calls.append(key)
        return None if len(calls) == 1 else real_find(token, key)

    monkeypatch.setattr(idempotency, "_find", late_find)
    with app.app_context():  # let the loser get past the sale's own checks, as it would have in the race
        from portal.catalog.models import Disposition, Unit

        db.session.get(Unit, world.unit_ids_a[0]).status = Disposition.ACTIVE
        db.session.commit()
    loser = api.post("/api/v1/sales", json=sale(world), headers=headers)
    assert loser.status_code == 201 and loser.get_json() == winner.get_json()
    assert loser.headers["Idempotent-Replayed"] == "true"
    assert sale_events(app) == 1


def test_an_unusable_idempotency_key_is_a_400_problem(world, api):
    as_problem(api.post("/api/v1/sales", json=sale(world), headers={"Idempotency-Key": "x" * 256}),
               400, "idempotency-key-invalid")


# --- Problems --------------------------------------------------------------------------------------

def test_malformed_json_is_a_400_problem(world, api):
    response = api.client.post("/api/v1/sales", data='{"gtin": "4012345', content_type="application/json",
                               headers={"Authorization": f"Bearer {api.token}"})
    as_problem(response, 400, "malformed-json")


def test_a_body_that_is_not_json_is_a_415_problem(world, api):
    response = api.client.post("/api/v1/sales", data={"gtin": world.gtin_a},
                               headers={"Authorization": f"Bearer {api.token}"})
    as_problem(response, 415, "unsupported-media-type")


def test_validation_names_every_field_at_fault(world, api):
    body = as_problem(api.post("/api/v1/sales", json={"gtin": "12", "serial": world.serials_a[0], "sold_at": "x"}),
                      422, "validation")
    fields = {(e["location"], e["field"]) for e in body["errors"]}
    assert {("json", "gtin"), ("json", "retailer"), ("json", "sold_on"), ("json", "sold_at")} <= fields


def test_nested_fields_at_fault_carry_their_position(world, api):
    body = as_problem(api.post("/api/v1/units", json={"units": [{"gtin": world.gtin_a, "serial": "OK-1"},
                                                                 {"gtin": world.gtin_a, "serial": "OK-2",
                                                                  "manufactured_on": "yesterday"}]}),
                      422, "validation")
    assert [e["field"] for e in body["errors"]] == ["units.1.manufactured_on"]


def test_a_domain_refusal_keeps_its_status_type_and_field(world, api):
    body = as_problem(api.get(f"/api/v1/units/{world.gtin_a[:-1]}0/{world.serials_a[0]}"), 422, "invalid")
    assert body["errors"] == [{"location": "path", "field": "gtin", "detail": body["detail"]}]


def test_unknown_paths_wrong_methods_and_large_bodies_answer_problems(app, world, api):
    as_problem(api.get("/api/v1/no-such-thing"), 404, "not-found")
    wrong = api.client.delete("/api/v1/sales", headers={"Authorization": f"Bearer {api.token}"})
    as_problem(wrong, 405, "method-not-allowed")
    assert "POST" in wrong.headers["Allow"]
    big = {"units": [{"gtin": world.gtin_a, "serial": "S", "lot": "L" * 5000}] * 500}
    as_problem(api.post("/api/v1/units", json=big), 413, "payload-too-large")


def test_pages_outside_the_api_keep_their_html_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_api_answers_are_not_cached(world, api):
    assert api.get(f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}").headers["Cache-Control"] == "no-store"


# --- Pagination -----------------------------------------------------------------------------------

def test_lists_are_paged_with_an_opaque_cursor_and_a_next_link(app, world, api):
    first = api.get("/api/v1/units?limit=2")
    assert first.status_code == 200
    page1 = first.get_json()
    assert [u["serial"] for u in page1["items"]] == world.serials_a[:2]
    assert page1["next"].startswith("http://portal.test/api/v1/units?") and "limit=2" in page1["next"]
    assert first.headers["Link"] == f'<{page1["next"]}>; rel="next"'
    page2 = api.get(page1["next"]).get_json()
    assert [u["serial"] for u in page2["items"]] == world.serials_a[2:]
    assert page2["next"] is None


def test_filters_survive_into_the_next_link(app, world, api):
    page1 = api.get(f"/api/v1/units?limit=1&gtin={world.gtin_a}&lot=L1").get_json()
    assert f"gtin={world.gtin_a}" in page1["next"] and "lot=L1" in page1["next"]
    serials = [u["serial"] for u in page1["items"]]
    link = page1["next"]
    while link:
        page = api.get(link).get_json()
        serials += [u["serial"] for u in page["items"]]
        link = page["next"]
    assert serials == world.serials_a  # bravo's unit never shows


@pytest.mark.parametrize("cursor", ["garbage", "djI6MQ", "%%%"])
def test_a_cursor_the_api_did_not_give_out_is_a_422_on_the_query(world, api, cursor):
    body = as_problem(api.get(f"/api/v1/units?cursor={cursor}"), 422, "validation")
    assert body["errors"][0]["location"] == "query" and body["errors"][0]["field"] == "cursor"


# --- The document ---------------------------------------------------------------------------------

def test_the_openapi_document_is_3_1_with_bearer_scopes_and_problem_errors(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": spec["components"]["securitySchemes"]["bearerAuth"][
            "description"]}
    sale_op = spec["paths"]["/api/v1/sales"]["post"]
    assert sale_op["security"] == [{"bearerAuth": ["sales:write"]}]
    assert "application/problem+json" in spec["components"]["responses"]["UNAUTHORIZED"]["content"]
    assert spec["paths"]["/api/v1/recalls/{gtin}/{serial}"]["get"]["security"] == []
    assert {"$ref": "#/components/parameters/IdempotencyKey"} in sale_op["parameters"]


def test_the_reference_page_loads_only_the_portals_own_scripts(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'src="/static/vendor/swagger-ui/swagger-ui-bundle.js"' in html and 'data-spec-url="/api/v1/openapi.json"' in html
    assert "<script>" not in html and "://" not in html  # no inline script, no other host
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in ("vendor/swagger-ui/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui.css", "js/api-reference.js"):
        assert client.get(f"/static/{asset}").status_code == 200, asset
