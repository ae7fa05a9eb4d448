"""A refused claim answers 303 to its form (post-redirect-get, issue 17; portal/core/drafts.py): the form shows the
refusal once with its 4xx, the claim as typed and its staged photos; a reload keeps them without the refusal; the
draft is for its unit and its account only, and even the longest description fits the session cookie."""
from __future__ import annotations

import io
import random
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.accounts.services import find_user
from portal.catalog.models import Unit
from portal.core.staging import StagedUpload
from portal.extensions import db
from portal.ownership.services import register_unit
from portal.warranty.models import WarrantyClaim
from tests.factories import build_world, login

DESCRIPTION = "The crown came off and the hands stopped moving."


@pytest.fixture
def world(app):
    return build_world(app)


def give(app, email: str, unit_id: int) -> int:
    with app.app_context():
        ownership = register_unit(find_user(email), db.session.get(Unit, unit_id),
                                  purchased_on=date.today() - timedelta(days=60))
        db.session.commit()
        return ownership.id


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 90, 160)).save(out, format="JPEG")
    return out.getvalue()


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(WarrantyClaim)),
                db.session.scalar(select(func.count()).select_from(StagedUpload)))


def test_a_refused_claim_redirects_and_its_form_shows_the_refusal_once(app, world):
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    client = app.test_client()
    login(client, world.owner)
    url = f"/my/units/{ownership_id}/claims/new"
    refused = client.post(url, content_type="multipart/form-data", data={
        "category": "", "description": DESCRIPTION, "started_on": "2025-01-02", "preferred_remedy": "replacement",
        "photos": [(io.BytesIO(jpeg()), "crack.jpg")]})
    assert refused.status_code == 303 and refused.headers["Location"] == url
    first = client.get(url)
    html = first.get_data(as_text=True)
    assert first.status_code == 400 and "Choose what happened from the list." in html
    assert DESCRIPTION in html and 'value="2025-01-02"' in html and "crack.jpg" in html
    assert re.search(r'<option selected value="replacement">|<option value="replacement" selected', html)
    again = client.get(url).get_data(as_text=True)
    assert "Choose what happened from the list." not in again and DESCRIPTION in again and "crack.jpg" in again
    assert counts(app) == (0, 1)
    # another unit's form and another account never see this draft
    other_unit = give(app, world.owner, world.unit_ids_a[1])
    assert DESCRIPTION not in client.get(f"/my/units/{other_unit}/claims/new").get_data(as_text=True)
    tokens = re.findall(r'name="photo_token" value="([^"]+)"', again)
    filed = client.post(url, content_type="multipart/form-data", data={
        "category": "does_not_work", "description": DESCRIPTION, "started_on": "", "preferred_remedy": "repair",
        "photo_token": tokens})
    assert filed.status_code == 302 and counts(app) == (1, 0)
    assert DESCRIPTION not in client.get(url).get_data(as_text=True)  # filed: the form is clean again


def test_the_longest_description_still_fits_the_session_cookie(app, world):
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    client = app.test_client()
    login(client, world.owner)
    words = random.Random(7).choices(["écran", "fissuré", "batterie", "Gehäuse", "lädt", "nicht", "après",
                                      "une", "chute", "der", "Knopf", "klemmt", "1234"], k=2000)
    text = " ".join(words)[:4000]
    refused = client.post(f"/my/units/{ownership_id}/claims/new", data={
        "category": "", "description": text, "started_on": "", "preferred_remedy": "repair"})
    assert refused.status_code == 303
    cookie = next(h for h in refused.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert len(cookie) < 4000, len(cookie)  # browsers keep cookies of up to 4096 bytes
    assert text in client.get(f"/my/units/{ownership_id}/claims/new").get_data(as_text=True).replace("&#39;", "'")


def test_a_description_too_big_for_the_cookie_is_answered_from_the_post_and_kept(app, world):
    """4,000 letters that compress badly would make the session cookie heavier than browsers keep (which would
    lose the draft, and the sign-in with it): that one refusal is answered from the POST, as before."""
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    client = app.test_client()
    login(client, world.owner)
    text = "".join(random.Random(3).choices("abcdefghijklmnopqrstuvwxyzéèàüöäß ", k=4000))
    refused = client.post(f"/my/units/{ownership_id}/claims/new", data={
        "category": "", "description": text, "started_on": "", "preferred_remedy": "repair"})
    assert refused.status_code == 400 and "Choose what happened from the list." in refused.text
    assert html_text(refused.text).count(text) == 1
    assert not any(h.startswith("session=") and len(h) > 4000 for h in refused.headers.getlist("Set-Cookie"))
    with client.session_transaction() as session:
        assert "draft:claim" not in session


def html_text(html: str) -> str:
    from html import unescape

    return unescape(html)
