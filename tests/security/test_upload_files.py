"""Refused uploads leave no file behind, and deleting an account deletes every file it uploaded."""
from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.authenticity.services import report_counterfeit
from portal.catalog.models import Unit
from portal.core.db import utcnow
from portal.core.staging import LIFETIME, StagedUpload, purge_expired
from portal.core.storage import store_proof
from portal.extensions import db
from portal.ownership.services import register_unit, report_stolen
from portal.warranty import services as warranty
from tests.factories import PASSWORD, build_world, login
from tests.support.forms import shown

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def jpeg(color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, format="JPEG")
    return out.getvalue()


def files(app) -> set[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_six_refused_registrations_with_a_receipt_leave_no_file_past_the_staging_day(app):
    """A refused registration keeps its receipt staged for the retry (core/staging.py): every file left is a
    staged upload of its sender, none is recorded as a proof, and the staging day's end removes them all."""
    world = build_world(app)
    with app.app_context():
        # Unit 0 belongs to someone else; unit 1 is the owner's own and reported stolen by them.
        register_unit(find_user(world.other_owner), db.session.get(Unit, world.unit_ids_a[0]), purchased_on=None)
        mine = register_unit(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[1]), purchased_on=None)
        report_stolen(find_user(world.owner), mine)
        db.session.commit()
    client = app.test_client()
    login(client, world.owner)
    before = files(app)
    for attempt in range(6):
        serial = world.serials_a[attempt % 2]
        proof = (io.BytesIO(jpeg((attempt * 40, 10, 10)) if attempt % 3 else PDF), "receipt.jpg" if attempt % 3 else "r.pdf")
        response = shown(client, client.post("/my/register", content_type="multipart/form-data", data={
            "gtin": world.gtin_a, "serial": serial, "purchased_on": "", "retailer": "Shop", "proof": proof}))
        assert 400 <= response.status_code < 500, response.status_code
    with app.app_context():
        staged = set(db.session.scalars(select(StagedUpload.key)))
        assert files(app) - before == staged and staged
        assert purge_expired(utcnow() + LIFETIME + timedelta(seconds=1)) == len(staged)
        db.session.commit()
    assert files(app) == before


def test_a_refused_counterfeit_report_leaves_no_photo(app):
    build_world(app)
    client = app.test_client()
    before = files(app)
    response = client.post("/report", content_type="multipart/form-data", data={
        "gtin": "12345", "serial": "X", "message": "", "photo": (io.BytesIO(jpeg()), "fake.jpg")})
    assert 400 <= response.status_code < 500
    assert files(app) == before


def test_a_file_stored_in_a_transaction_that_commits_stays(app):
    world = build_world(app)
    with app.app_context():
        proof = store_proof(PDF, "invoice.pdf")
        register_unit(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[0]), purchased_on=None,
                      proof=proof)
        db.session.commit()
    assert proof.key in files(app)


def test_deleting_an_account_deletes_every_file_it_uploaded(app):
    world = build_world(app)
    earlier = files(app)  # the upload folder lives for the whole test session
    with app.app_context():
        owner = find_user(world.owner)
        ownership = register_unit(owner, db.session.get(Unit, world.unit_ids_a[0]), purchased_on=date.today(),
                                  proof=store_proof(jpeg(), "receipt.jpg"))
        warranty.file_claim(owner, ownership.unit, category="does_not_work", description="The crown came off.",
                            started_on=None, photos=[(jpeg((0, 200, 0)), "front.jpg")])
        report_counterfeit(gtin=world.gtin_a, serial="FAKE-1", code="", message="A copy on a market stall.",
                           where_seen="Market", contact=world.owner, photo=(jpeg((0, 0, 200)), "fake.jpg"))
        db.session.commit()
    uploaded = files(app) - earlier
    assert len(uploaded) == 3
    client = app.test_client()
    login(client, world.owner)
    response = client.post("/my/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    assert files(app) & uploaded == set()
