"""/api/v1/links: manufacturers manage their Digital Link links from their own systems, with scoped tokens."""
from __future__ import annotations

from tests.support.api import make_token
from tests.support.resolver import bare


def test_the_api_publishes_changes_and_retires_links_with_scoped_tokens(app, client, get, world, codes):
    writer = {"Authorization": f"Bearer {make_token(app, world, ['links:read', 'links:write'])}"}
    reader = {"Authorization": f"Bearer {make_token(app, world, ['links:read'])}"}
    body = {"gtin": world.gtin_a, "scope": "unit", "link_type": "gs1:repairInfo", "title": "Repair",
            "target": "https://acme.example/repair/{serial}", "language": "en"}
    assert client.post("/api/v1/links", json=body, headers=reader).status_code == 403  # no links:write
    created = client.post("/api/v1/links", json=body, headers=writer)
    assert created.status_code == 201, created.get_json()
    link = created.get_json()
    assert link["link_type"] == "gs1:repairInfo" and link["scope"] == "unit" and not link["retired"]
    assert get(bare(codes["serial"]) + "?linkType=gs1:repairInfo").headers["Location"] == \
        f"https://acme.example/repair/{world.serials_a[0]}"
    bad = client.post("/api/v1/links", json={**body, "target": "javascript:alert(1)"}, headers=writer)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    changed = client.put(f"/api/v1/links/{link['id']}", json={**body, "target": "https://acme.example/fix/{serial}"},
                         headers=writer)
    assert changed.status_code == 200 and changed.get_json()["target"] == "https://acme.example/fix/{serial}"
    retired = client.post(f"/api/v1/links/{link['id']}/retire", headers=writer)
    assert retired.status_code == 200 and retired.get_json()["retired"] is True
    assert get(bare(codes["serial"]) + "?linkType=gs1:repairInfo").status_code == 410
    listed = client.get("/api/v1/links", headers=reader).get_json()["links"]
    assert [entry["id"] for entry in listed] == [link["id"]]
    other = {"Authorization": f"Bearer {make_token(app, world, ['links:read', 'links:write'], tenant='bravo')}"}
    assert client.post(f"/api/v1/links/{link['id']}/retire", headers=other).status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/links" in spec["paths"] or "/links" in spec["paths"]
