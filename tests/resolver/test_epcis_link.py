"""A unit's code leads partners to its EPCIS events (gs1:epcis), behind their manufacturer's token."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.accounts.services import find_user
from portal.api.tokens import issue_token
from portal.catalog.models import Manufacturer
from portal.core.db import utcnow
from portal.extensions import db
from tests.support.resolver import ROOT, bare


def test_the_epcis_link_of_a_units_code_answers_its_events_to_a_partner(app, get, client, world, codes):
    response = get(bare(codes["serial"]) + "?linkType=gs1:epcis")
    assert response.status_code == 307
    target = response.headers["Location"]
    assert target.startswith(f"{ROOT}/epcis/epcs/") and target.endswith("/events")
    assert client.get(target[len(ROOT):], base_url=ROOT).status_code == 401  # partners only
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        _, secret = issue_token(acme, name="Partner", scopes=["events:read"],
                                expires_on=utcnow().date() + timedelta(days=7), actor=find_user(world.staff_a["admin"]))
        db.session.commit()
    events = client.get(target[len(ROOT):], base_url=ROOT, headers={"Authorization": f"Bearer {secret}"})
    assert events.status_code == 200, events.get_data(as_text=True)[:300]
