"""API tokens: issued once by tenant admins, stored hashed, scoped, expiring, revocable, tenant-bound."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from sqlalchemy import select, update

from portal.accounts.models import StaffMembership
from portal.accounts.services import find_user
from portal.api.models import ApiToken
from portal.core.db import utcnow
from portal.extensions import db
from tests.factories import login
from tests.support.api import ApiClient, as_problem, make_token

TOKEN_RE = re.compile(r"pvn_[a-z0-9]{10}_[A-Za-z0-9_-]{43}")


def issue_in_console(client, **overrides) -> str:
    data = {"name": "Till, Zurich shop", "scopes": ["sales:write", "units:read"],
            "expires_on": (utcnow().date() + timedelta(days=30)).isoformat(), **overrides}
    response = client.post("/console/acme/tokens", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    found = TOKEN_RE.findall(response.get_data(as_text=True))
    assert found, "the new token is shown on the answer to its creation"
    return found[0]


def test_admin_issues_a_token_that_is_shown_once_and_stored_only_as_a_hash(app, world):
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    secret = issue_in_console(admin)

    listing = admin.get("/console/acme/tokens").get_data(as_text=True)
    assert secret not in listing and "Till, Zurich shop" in listing
    assert secret.split("_")[1] in listing  # the public prefix identifies it in the list
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        _, prefix, rest = secret.split("_", 2)
        assert row.prefix == prefix and row.secret_hash == hashlib.sha256(rest.encode()).hexdigest()
        assert all(rest not in str(value) for value in vars(row).values())
        assert row.scope_list == ["units:read", "sales:write"]
    assert ApiClient(app.test_client(), secret).get(f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}").status_code == 200


def test_a_token_with_an_unknown_scope_or_a_past_expiry_is_refused_in_the_console(app, world):
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    bad_scope = admin.post("/console/acme/tokens", data={"name": "X", "scopes": ["admin:all"],
                                                         "expires_on": "2099-01-01"})
    assert bad_scope.status_code == 400
    past = admin.post("/console/acme/tokens", data={"name": "X", "scopes": ["units:read"],
                                                    "expires_on": "2020-01-01"})
    assert past.status_code == 422 and "from today on" in past.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None


def test_only_tenant_admins_see_and_issue_tokens(app, world):
    agent = app.test_client()
    login(agent, world.staff_a["claims_agent"])
    assert agent.get("/console/acme/tokens").status_code == 403
    assert agent.post("/console/acme/tokens", data={"name": "X"}).status_code == 403


def test_a_revoked_token_answers_401_at_once(app, world):
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    secret = issue_in_console(admin)
    api = ApiClient(app.test_client(), secret)
    path = f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}"
    assert api.get(path).status_code == 200
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    assert admin.post("/console/acme/tokens/revoke", data={"token_id": token_id}).status_code == 302
    body = as_problem(api.get(path), 401, "unauthorized")
    assert "revoked" in body["detail"]
    assert "revoked" in admin.get("/console/acme/tokens").get_data(as_text=True)


def test_an_admin_cannot_revoke_another_tenants_token(app, world):
    bravo_token = make_token(app, world, tenant="bravo")
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    assert admin.post("/console/acme/tokens/revoke", data={"token_id": token_id}).status_code == 404
    assert ApiClient(app.test_client(), bravo_token).get(
        f"/api/v1/units/{world.gtin_b}/{world.serial_b}").status_code == 200


def test_an_expired_token_answers_401(app, world, client):
    secret = make_token(app, world)
    with app.app_context():
        past = utcnow() - timedelta(days=40)
        db.session.execute(update(ApiToken).values(created_at=past, expires_at=past + timedelta(days=30)))
        db.session.commit()
    body = as_problem(ApiClient(client, secret).get(f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}"),
                      401, "unauthorized")
    assert "expired" in body["detail"]


def test_missing_malformed_and_forged_tokens_answer_401_with_a_bearer_challenge(app, world, client, token):
    path = f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}"
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for header in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer nonsense"},
                   {"Authorization": f"Bearer {forged}"}):
        response = client.get(path, headers=header)
        as_problem(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_without_the_scope_answers_403_naming_it(app, world, client):
    till = ApiClient(client, make_token(app, world, ["sales:write"]))
    response = till.get(f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}")
    body = as_problem(response, 403, "insufficient-scope")
    assert "units:read" in body["detail"] and 'scope="units:read"' in response.headers["WWW-Authenticate"]
    as_problem(ApiClient(client, make_token(app, world, [])).get("/api/v1/claims"), 403, "insufficient-scope")


def test_another_tenants_unit_answers_404_exactly_like_an_unknown_one(app, world, client):
    bravo = ApiClient(client, make_token(app, world, tenant="bravo"))
    foreign = bravo.get(f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}")
    unknown = bravo.get(f"/api/v1/units/{world.gtin_b}/NO-SUCH-SERIAL")
    foreign_body, unknown_body = as_problem(foreign, 404, "not-found"), as_problem(unknown, 404, "not-found")
    assert foreign_body.keys() == unknown_body.keys() and "Acme" not in foreign.get_data(as_text=True)
    for path in (f"/api/v1/coverage/{world.gtin_a}/{world.serials_a[0]}",):
        as_problem(bravo.get(path), 404, "not-found")
    sale = bravo.post("/api/v1/sales", json={"gtin": world.gtin_a, "serial": world.serials_a[0], "retailer": "Shop",
                                              "sold_on": utcnow().date().isoformat()})
    as_problem(sale, 404, "not-found")


def test_last_use_is_recorded(app, world, api):
    api.get(f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}")
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.last_used_at is not None and utcnow() - token.last_used_at < timedelta(minutes=1)


def test_a_token_stops_working_when_its_issuer_leaves_the_team(app, world, api):
    path = f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}"
    assert api.get(path).status_code == 200
    with app.app_context():
        admin = find_user(world.staff_a["admin"])
        db.session.delete(db.session.scalar(select(StaffMembership).where(StaffMembership.user_id == admin.id)))
        db.session.commit()
    as_problem(api.get(path), 401, "unauthorized")


def test_a_signed_in_browser_session_does_not_authorise_api_calls(app, world):
    browser = app.test_client()
    login(browser, world.staff_a["admin"])
    as_problem(browser.get(f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}"), 401, "unauthorized")
    with_token = browser.get(f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}",
                             headers={"Authorization": f"Bearer {make_token(app, world)}"})
    assert with_token.status_code == 200 and "Set-Cookie" not in with_token.headers


def test_each_token_has_its_own_rate_limit(app, world, client):
    app.config["API_RATELIMIT"] = "3 per minute"
    try:
        first, second = ApiClient(client, make_token(app, world)), ApiClient(client, make_token(app, world))
        path = f"/api/v1/units/{world.gtin_a}/{world.serials_a[0]}"
        assert [first.get(path).status_code for _ in range(3)] == [200, 200, 200]
        limited = first.get(path)
        as_problem(limited, 429, "rate-limited")
        assert int(limited.headers["Retry-After"]) > 0
        assert second.get(path).status_code == 200
    finally:
        app.config["API_RATELIMIT"] = "600 per minute"
