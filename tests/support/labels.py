"""Signed labels for tests: a world whose tenants have keys, a signed code per unit, tampering helpers."""
from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from portal.authenticity.keys import create_key
from portal.authenticity.labels import issue_label, label_uri
from portal.catalog.models import Manufacturer, Unit
from portal.extensions import db
from tests.factories import build_world


def keyed_world(app):
    """The factory world, each tenant with a signing key."""
    world = build_world(app)
    with app.app_context():
        for slug in ("acme", "bravo"):
            create_key(db.session.scalar(select(Manufacturer).where(Manufacturer.slug == slug)), actor="test")
        db.session.commit()
    return world


def tenant(slug):
    return db.session.scalar(select(Manufacturer).where(Manufacturer.slug == slug))


def sign_unit(app, unit_id) -> str:
    """The path and query of a freshly issued label for the unit."""
    with app.app_context():
        unit = db.session.get(Unit, unit_id)
        uri = label_uri(unit.model.gtin, unit.serial, issue_label(unit, actor="test"))
        db.session.commit()
    parts = urlsplit(uri)
    return f"{parts.path}?{parts.query}"


def verdict_of(client, path):
    response = client.get(path, headers={"Accept": "application/json"})
    return response.status_code, response.get_json()


def with_param(path, key, value):
    base, query = path.split("?")
    params = dict(p.split("=", 1) for p in query.split("&"))
    params[key] = value
    return base + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def flip(text: str, index: int = 10) -> str:
    ch = text[index]
    return text[:index] + ("A" if ch != "A" else "B") + text[index + 1:]
