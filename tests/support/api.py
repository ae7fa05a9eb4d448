"""API test helpers: tokens issued through the service, a client that sends them, problem checks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.services import find_user
from portal.api.models import Scope
from portal.api.tokens import issue_token
from portal.catalog.models import Manufacturer
from portal.core.db import utcnow
from portal.extensions import db

ALL_SCOPES = [s.value for s in Scope]


def make_token(app, world, scopes=ALL_SCOPES, *, tenant: str = "acme", days: int = 30, name: str = "Test") -> str:
    with app.app_context():
        maker = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == tenant))
        admin = find_user(world.staff_a["admin"] if tenant == "acme" else world.staff_b["admin"])
        _, secret = issue_token(maker, name=name, scopes=scopes, expires_on=utcnow().date() + timedelta(days=days),
                                actor=admin)
        db.session.commit()
    return secret


@dataclass
class ApiClient:
    client: object
    token: str | None

    def _headers(self, headers):
        out = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        out.update(headers or {})
        return out

    def get(self, path, headers=None, **kwargs):
        return self.client.get(path, headers=self._headers(headers), **kwargs)

    def post(self, path, json=None, headers=None, **kwargs):
        return self.client.post(path, json=json, headers=self._headers(headers), **kwargs)


def as_problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json", response.mimetype
    body = response.get_json(force=True)
    assert body["status"] == status and body["type"].endswith("/" + kind), body
    return body
