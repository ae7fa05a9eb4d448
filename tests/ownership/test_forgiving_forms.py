"""Forms that forgive (issue 17): a receipt is staged on first receipt, survives a failed submit (shown by name,
with a remove button), is used by the resubmit, expires after a day; an unconfirmed account is told what to
do before it fills anything in."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from portal.core.db import utcnow
from portal.core.staging import StagedUpload
from portal.extensions import db
from portal.ownership.models import Ownership
from tests.factories import build_world, login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def world(app):
    return build_world(app)


def post(client, world, serial, **extra):
    data = {"gtin": world.gtin_a, "serial": serial, "purchased_on": "2025-03-14", "retailer": "Acme Boutique",
            **extra}
    return client.post("/my/register", data=data, content_type="multipart/form-data")


def staged_rows(app):
    with app.app_context():
        return db.session.scalars(select(StagedUpload)).all()


def token_in(html: str) -> str:
    match = re.search(r'name="proof_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def stored(app, key) -> Path:
    return Path(app.config["UPLOAD_FOLDER"]) / key


def test_a_failed_registration_keeps_the_receipt_and_the_resubmit_uses_it(app, world):
    client = app.test_client()
    login(client, world.owner)
    failed = post(client, world, "ACME-9999", proof=(io.BytesIO(PDF), "receipt.pdf"))
    assert failed.status_code == 303 and failed.location == "/my/register"  # post-redirect-get (core/drafts.py)
    page = client.get("/my/register").get_data(as_text=True)
    assert "receipt.pdf" in page and "kept from your last try" in page
    assert 'name="remove_proof"' in page and 'value="ACME-9999"' in page  # and the typed fields stay
    [row] = staged_rows(app)
    assert stored(app, row.key).read_bytes() == PDF
    # a form that fails validation keeps it too (the serial left empty), without sending the file again
    assert post(client, world, "", proof_token=token_in(page)).status_code == 303
    again = client.get("/my/register")
    assert "receipt.pdf" in again.get_data(as_text=True) and 'aria-invalid="true"' in again.get_data(as_text=True)
    done = post(client, world, world.serials_a[0], proof_token=token_in(again.get_data(as_text=True)))
    assert done.status_code == 302
    with app.app_context():
        ownership = db.session.scalars(select(Ownership)).one()
        assert ownership.proof_key == row.key and ownership.proof_name == "receipt.pdf"
    assert staged_rows(app) == [] and stored(app, row.key).is_file()  # claimed: the record owns the file now
    assert client.get(f"/my/units/{ownership.id}/proof").data == PDF


def test_the_remove_button_drops_the_staged_receipt(app, world):
    client = app.test_client()
    login(client, world.owner)
    post(client, world, "ACME-9999", proof=(io.BytesIO(PDF), "receipt.pdf"))
    page = client.get("/my/register").get_data(as_text=True)
    [row] = staged_rows(app)
    removed = post(client, world, "ACME-9999", proof_token=token_in(page), remove_proof="1")
    assert removed.status_code == 303 and "receipt.pdf" not in client.get("/my/register").get_data(as_text=True)
    assert staged_rows(app) == [] and not stored(app, row.key).exists()


def test_a_staged_receipt_is_its_senders_only(app, world):
    owner, other = app.test_client(), app.test_client()
    login(owner, world.owner)
    login(other, world.other_owner)
    post(owner, world, "ACME-9999", proof=(io.BytesIO(PDF), "receipt.pdf"))
    token = token_in(owner.get("/my/register").get_data(as_text=True))
    assert post(other, world, world.serials_a[0], proof_token=token).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Ownership)).one().proof_key is None
    assert len(staged_rows(app)) == 1


def test_a_bad_file_is_refused_when_it_arrives_and_nothing_is_staged(app, world):
    client = app.test_client()
    login(client, world.owner)
    refused = post(client, world, world.serials_a[0], proof=(io.BytesIO(b"MZ\x90\x00 not a receipt"), "x.exe"))
    assert refused.status_code == 303 and 'aria-invalid="true"' in client.get("/my/register").get_data(as_text=True)
    assert staged_rows(app) == []
    with app.app_context():
        assert db.session.scalars(select(Ownership)).all() == []


def test_staged_files_expire_after_a_day_and_are_purged(app, world):
    client = app.test_client()
    login(client, world.owner)
    post(client, world, "ACME-9999", proof=(io.BytesIO(PDF), "receipt.pdf"))
    page = client.get("/my/register").get_data(as_text=True)
    [row] = staged_rows(app)
    with app.app_context():
        db.session.execute(update(StagedUpload).values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    # expired: no longer offered to the form, whatever the token
    post(client, world, "ACME-9999", proof_token=token_in(page))
    assert "receipt.pdf" not in client.get("/my/register").get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["purge-staged-uploads"])
    assert result.exit_code == 0 and "1 staged upload(s) purged" in result.output
    assert staged_rows(app) == [] and not stored(app, row.key).exists()


def test_an_unconfirmed_account_is_told_before_it_starts(app, world):
    client = app.test_client()
    login(client, world.unverified)
    page = client.get("/my/register")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "First, confirm your e-mail address" in html and "Send the link again" in html
    assert 'name="serial"' not in html and 'type="file"' not in html
    refused = post(client, world, world.serials_a[0], proof=(io.BytesIO(PDF), "receipt.pdf"))
    assert refused.status_code == 403 and staged_rows(app) == []


def test_a_refused_claim_keeps_its_photos_for_the_next_try(app, world):
    from portal.warranty.models import ClaimEntry
    from tests.support.warranty import DESCRIPTION, give, jpeg

    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    client = app.test_client()
    login(client, world.owner)
    url = f"/my/units/{ownership_id}/claims/new"
    data = {"category": "", "description": DESCRIPTION, "started_on": "", "preferred_remedy": "repair"}
    refused = client.post(url, data={**data, "photos": [(io.BytesIO(jpeg((200, 0, 0), (60, 40))), "crack.jpg"),
                                                         (io.BytesIO(jpeg((0, 0, 200), (60, 40))), "dial.jpg")]},
                          content_type="multipart/form-data")  # no category chosen: refused
    assert refused.status_code == 303 and refused.headers["Location"] == url  # post-redirect-get
    refused = client.get(url)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "crack.jpg" in page and "dial.jpg" in page
    tokens = re.findall(r'name="photo_token" value="([^"]+)"', page)
    assert len(tokens) == 2 and len(staged_rows(app)) == 2
    removed = client.post(url, data={**data, "photo_token": tokens, "remove_photo": tokens[1]},
                          content_type="multipart/form-data")
    assert removed.status_code == 303 and len(staged_rows(app)) == 1
    page = client.get(url).get_data(as_text=True)
    assert "dial.jpg" not in page and "crack.jpg" in page and DESCRIPTION in page  # the description as typed
    filed = client.post(url, data={**data, "category": "does_not_work", "photo_token": tokens[:1]},
                        content_type="multipart/form-data")
    assert filed.status_code == 302, filed.get_data(as_text=True)
    assert staged_rows(app) == []
    with app.app_context():
        photos = db.session.scalars(select(ClaimEntry).where(ClaimEntry.kind == "photo")).all()
    assert len(photos) == 1
