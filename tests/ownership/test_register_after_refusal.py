"""A refused registration answers 303 to the form (post-redirect-get, issue 17; portal/core/drafts.py): the form's
GET shows the refusal once, with its 4xx, the fields as typed and the staged receipt by name; a reload shows the
fields and the receipt without the refusal; nothing personal goes into the address; nobody else sees the draft."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from portal.core.staging import StagedUpload
from portal.extensions import db
from portal.ownership.models import Ownership
from tests.factories import build_world, login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
UNKNOWN = "No unit with GTIN"


@pytest.fixture
def world(app):
    return build_world(app)


def submit(client, world, serial, **extra):
    data = {"gtin": world.gtin_a, "serial": serial, "purchased_on": "2025-03-14", "retailer": "Boutique Ève",
            **extra}
    return client.post("/my/register", data=data, content_type="multipart/form-data")


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Ownership)),
                db.session.scalar(select(func.count()).select_from(StagedUpload)))


def test_a_refusal_redirects_and_the_form_shows_it_once_with_what_was_typed(app, world):
    client = app.test_client()
    login(client, world.owner)
    refused = submit(client, world, "ACME-9999", proof=(io.BytesIO(PDF), "receipt.pdf"))
    assert refused.status_code == 303 and refused.headers["Location"] == "/my/register"
    assert "ACME-9999" not in refused.headers["Location"] and "Boutique" not in refused.headers["Location"]
    first = client.get("/my/register")
    html = first.get_data(as_text=True)
    assert first.status_code == 404 and html.count(UNKNOWN) == 1  # the refusal's own status, once
    assert 'value="ACME-9999"' in html and 'value="Boutique Ève"' in html and 'value="2025-03-14"' in html
    assert "receipt.pdf" in html and 'name="remove_proof"' in html
    # a reload: the same form and receipt, the refusal not repeated (nothing was tried again)
    again = client.get("/my/register")
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and UNKNOWN not in html
    assert 'value="ACME-9999"' in html and "receipt.pdf" in html
    assert counts(app) == (0, 1)
    # the next submit uses the kept receipt; then the form is clean
    token = re.search(r'name="proof_token" value="([^"]+)"', html).group(1)
    done = submit(client, world, world.serials_a[0], proof_token=token)
    assert done.status_code == 302 and "/my/units/" in done.headers["Location"]
    assert counts(app) == (1, 0)
    clean = client.get("/my/register").get_data(as_text=True)
    assert "receipt.pdf" not in clean and 'value="ACME-9999"' not in clean


def test_a_unit_owned_by_another_is_refused_with_a_dispute_link_once(app, world):
    first, second = app.test_client(), app.test_client()
    login(first, world.owner)
    assert submit(first, world, world.serials_a[0]).status_code == 302
    login(second, world.other_owner)
    refused = submit(second, world, world.serials_a[0], proof=(io.BytesIO(PDF), "mine.pdf"))
    assert refused.status_code == 303
    page = second.get("/my/register")
    html = page.get_data(as_text=True)
    assert page.status_code == 409 and "already registered to another owner" in html and "/my/dispute?" in html
    assert "mine.pdf" in html
    reload = second.get("/my/register").get_data(as_text=True)
    assert "already registered to another owner" not in reload and "mine.pdf" in reload
    assert counts(app) == (1, 1)


def test_a_missing_field_also_redirects_and_shows_its_error_on_the_field(app, world):
    client = app.test_client()
    login(client, world.owner)
    refused = submit(client, world, "", proof=(io.BytesIO(PDF), "receipt.pdf"))
    assert refused.status_code == 303
    page = client.get("/my/register")
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and 'aria-invalid="true"' in html and "receipt.pdf" in html
    assert 'aria-invalid="true"' not in client.get("/my/register").get_data(as_text=True)


def test_a_refused_file_redirects_with_its_reason_and_stages_nothing(app, world):
    client = app.test_client()
    login(client, world.owner)
    assert submit(client, world, world.serials_a[0], proof=(io.BytesIO(b"MZ\x90\x00"), "x.exe")).status_code == 303
    page = client.get("/my/register")
    assert page.status_code == 422 and 'aria-invalid="true"' in page.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_another_account_on_the_same_browser_never_sees_the_draft_or_its_file(app, world):
    client = app.test_client()
    login(client, world.owner)
    submit(client, world, "ACME-9999", proof=(io.BytesIO(PDF), "receipt.pdf"))
    token = re.search(r'name="proof_token" value="([^"]+)"', client.get("/my/register").get_data(as_text=True))
    client.post("/signout")
    login(client, world.other_owner)  # the same cookie jar
    html = client.get("/my/register").get_data(as_text=True)
    assert "ACME-9999" not in html and "receipt.pdf" not in html and "Boutique" not in html
    # nor does sending the first account's token reach the file: the submit goes on without a receipt
    done = submit(client, world, world.serials_a[1], proof_token=token.group(1))
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Ownership)).one().proof_key is None
    assert counts(app) == (1, 1)


def test_the_draft_is_not_kept_in_the_address_nor_replayable_by_a_tampered_cookie(app, world):
    client = app.test_client()
    login(client, world.owner)
    submit(client, world, "ACME-9999")
    with client.session_transaction() as session:
        draft = session["draft:register"]
        draft["u"] = 10**6  # another account's id: a draft is its maker's only
        session["draft:register"] = draft
    page = client.get("/my/register")
    assert page.status_code == 200 and "ACME-9999" not in page.get_data(as_text=True)
