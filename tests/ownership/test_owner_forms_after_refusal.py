"""Accepting a transfer, opening a dispute and a buyer's code on an ownership proof: a refused submit answers
303 to the form's GET (post-redirect-get, issue 17; portal/core/drafts.py), which shows the refusal once with its
4xx and the fields as typed; a reload shows the fields without the refusal; nothing typed goes into the address;
the draft is its account's only."""
from __future__ import annotations

import random
import string

from sqlalchemy import func, select

from portal.extensions import db
from portal.ownership.models import Ownership, OwnershipDispute
from tests.factories import build_world, login
from tests.support.resale import build_sale, make_proof

NOT_VALID = "This transfer code is not valid"
TOO_SHORT = "at least 20 characters"


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_wrong_transfer_code_redirects_and_shows_it_once_with_what_was_typed(app, client):
    world = build_world(app)
    login(client, world.owner)
    refused = client.post("/transfer", data={"code": "ZZZZ-ZZZZ-ZZZZ", "purchased_on": "2025-03-14"})
    assert refused.status_code == 303 and refused.headers["Location"] == "/transfer"
    first = client.get("/transfer")
    html = first.get_data(as_text=True)
    assert first.status_code == 404 and html.count(NOT_VALID) == 1
    assert 'value="ZZZZ-ZZZZ-ZZZZ"' in html and 'value="2025-03-14"' in html
    again = client.get("/transfer")
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and NOT_VALID not in html and 'value="ZZZZ-ZZZZ-ZZZZ"' in html
    # a seller's link replaces the draft
    linked = client.get("/transfer?code=AAAA-BBBB-CCCC").get_data(as_text=True)
    assert 'value="AAAA-BBBB-CCCC"' in linked and "ZZZZ" not in linked
    assert "ZZZZ" not in client.get("/transfer").get_data(as_text=True)
    assert count(app, Ownership) == 0


def test_a_transfer_draft_is_its_accounts_only(app, client):
    world = build_world(app)
    login(client, world.owner)
    client.post("/transfer", data={"code": "ZZZZ-ZZZZ-ZZZZ"})
    client.post("/signout")
    login(client, world.other_owner)  # the same cookie jar
    html = client.get("/transfer").get_data(as_text=True)
    assert "ZZZZ" not in html and NOT_VALID not in html


def test_a_refused_dispute_redirects_and_keeps_the_message_as_typed(app, client):
    world = build_world(app)
    login(client, world.owner)
    message = "C'est à moi — ½"
    refused = client.post("/my/dispute", data={"gtin": world.gtin_a, "serial": world.serials_a[0],
                                                "message": message})
    assert refused.status_code == 303 and refused.headers["Location"] == "/my/dispute"
    assert world.serials_a[0] not in refused.headers["Location"]
    first = client.get("/my/dispute")
    html = first.get_data(as_text=True)
    assert first.status_code == 422 and html.count(TOO_SHORT) == 1
    assert f'value="{world.serials_a[0]}"' in html and "C&#39;est à moi — ½</textarea>" in html
    again = client.get("/my/dispute")
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and TOO_SHORT not in html and "C&#39;est à moi — ½</textarea>" in html
    # an unknown unit: the refusal on its field, with its 404
    client.post("/my/dispute", data={"gtin": world.gtin_a, "serial": "ACME-9999",
                                     "message": "I bought it at the shop in March with a receipt."})
    page = client.get("/my/dispute")
    assert page.status_code == 404 and "ACME-9999" in page.get_data(as_text=True)
    done = client.post("/my/dispute", data={"gtin": world.gtin_a, "serial": world.serials_a[0],
                                            "message": "I bought it at the shop in March with a receipt."})
    assert done.status_code == 302 and count(app, OwnershipDispute) == 1
    assert "ACME-9999" not in client.get("/my/dispute").get_data(as_text=True)


def test_a_dispute_from_the_registration_link_replaces_the_draft(app, client):
    world = build_world(app)
    login(client, world.owner)
    client.post("/my/dispute", data={"gtin": world.gtin_a, "serial": "ACME-1111", "message": "short"})
    html = client.get(f"/my/dispute?gtin={world.gtin_a}&serial={world.serials_a[1]}").get_data(as_text=True)
    assert f'value="{world.serials_a[1]}"' in html and "ACME-1111" not in html and ">short</textarea>" not in html


def test_a_buyers_wrong_code_on_a_proof_redirects_to_the_proof_and_shows_it_once(app, client):
    sale = build_sale(app)
    _, token = make_proof(app, sale)
    login(client, sale.buyer)
    refused = client.post(f"/proof/{token}/receive", data={"code": "ABCD-EFGH-JKLM"})
    assert refused.status_code == 303 and refused.headers["Location"] == f"/proof/{token}#receive"
    first = client.get(f"/proof/{token}")
    html = first.get_data(as_text=True)
    assert first.status_code == 422 and html.count("has not offered the transfer") == 1
    assert 'value="ABCD-EFGH-JKLM"' in html and first.headers["Cache-Control"] == "no-store"
    again = client.get(f"/proof/{token}")
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and "has not offered the transfer" not in html
    assert 'value="ABCD-EFGH-JKLM"' in html  # the code as typed, still on the form
    # anyone else opening the proof sees no trace of it; another proof of the unit neither
    assert "ABCD-EFGH-JKLM" not in app.test_client().get(f"/proof/{token}").get_data(as_text=True)
    _, other_token = make_proof(app, sale)
    assert "ABCD-EFGH-JKLM" not in client.get(f"/proof/{other_token}").get_data(as_text=True)
    # the seller's link with its code replaces what was typed
    linked = client.get(f"/proof/{token}?code=WXYZ-WXYZ-WXYZ").get_data(as_text=True)
    assert "ABCD-EFGH-JKLM" not in linked
    assert "ABCD-EFGH-JKLM" not in client.get(f"/proof/{token}").get_data(as_text=True)


def test_a_dispute_too_long_for_the_cookie_is_answered_from_the_post_with_nothing_lost(app, client):
    world = build_world(app)
    login(client, world.owner)
    message = "".join(random.Random(17).choices(string.ascii_letters, k=4000))  # compresses badly
    refused = client.post("/my/dispute", data={"gtin": world.gtin_a, "serial": "ACME-9999", "message": message})
    assert refused.status_code == 404 and f"{message}</textarea>" in refused.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "draft:dispute" not in session
    assert client.get("/my/dispute").status_code == 200 and count(app, OwnershipDispute) == 0
