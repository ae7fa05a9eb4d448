"""The owner's side of warranty claims over HTTP: filing with photos, refusals, privacy, follow-up, mail, PDFs."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.accounts.services import find_user
from portal.catalog.models import Unit
from portal.catalog.services import create_unit
from portal.extensions import db
from portal.warranty import services
from portal.warranty.forms import GOODWILL_LABEL
from portal.warranty.models import ClaimEntry, ClaimState, WarrantyClaim
from tests.factories import build_world, login
from tests.support.forms import shown
from tests.support.warranty import DESCRIPTION, give, jpeg


@pytest.fixture
def world(app):
    return build_world(app)


def old_unit(app, serial: str = "ACME-OLD1") -> int:
    """A unit made in 2015: bought in 2015 with a receipt, its 24 months ended on 1 March 2017."""
    from portal.catalog.models import Manufacturer

    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        unit = create_unit(acme, gtin=db.session.scalar(select(Unit).limit(1)).model.gtin, serial=serial,
                           manufactured_on=date(2015, 1, 10), actor="test")
        db.session.commit()
        return unit.id


def file(client, ownership_id: int, *, photos=(), **extra):
    data = {"category": "does_not_work", "description": DESCRIPTION, "started_on": "",
            "preferred_remedy": "repair", **extra}
    if photos:
        data["photos"] = [(io.BytesIO(content), name) for content, name in photos]
    # a refused claim answers 303 to the form, which shows the refusal with its 4xx (core/drafts.py)
    return shown(client, client.post(f"/my/units/{ownership_id}/claims/new", data=data,
                                     content_type="multipart/form-data"))


def filed(client, ownership_id: int, **kwargs) -> str:
    response = file(client, ownership_id, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)
    number = response.headers["Location"].rsplit("/", 1)[-1]
    assert re.fullmatch(r"W\d\d-[A-Z0-9]{6}", number), number
    return number


def the_claim(number: str) -> WarrantyClaim:
    return db.session.scalar(select(WarrantyClaim).where(WarrantyClaim.number == number))


def agent_moves(app, world, number: str, target: str, note: str = "", **extra) -> None:
    with app.app_context():
        services.move(the_claim(number), target, actor=find_user(world.staff_a["claims_agent"]), role="agent",
                      note=note, **extra)
        db.session.commit()


def counts(app) -> tuple[int, int, int]:
    """Claims, claim entries and files in the upload folder."""
    with app.app_context():
        files = len(list(Path(app.config["UPLOAD_FOLDER"]).glob("*")))
        return (db.session.scalar(select(func.count()).select_from(WarrantyClaim)),
                db.session.scalar(select(func.count()).select_from(ClaimEntry)), files)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_filing_with_two_photos_shows_them_on_the_claim_page(app, client, world):
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    login(client, world.owner)
    form = client.get(f"/my/units/{ownership_id}/claims/new").get_data(as_text=True)
    assert "Covered until" in form and 'accept="image/*"' in form and "multiple" in form
    assert str(GOODWILL_LABEL) not in form  # a covered unit needs no goodwill

    number = filed(client, ownership_id, photos=[(jpeg((200, 0, 0)), "front.jpg"), (jpeg((0, 200, 0)), "back.jpg")])

    page = client.get(f"/my/claims/{number}").get_data(as_text=True)
    assert "Claim filed" in page and DESCRIPTION in page
    thumbs = re.findall(rf'src="(/my/claims/{number}/photos/\d+\?size=thumb)"', page)
    assert len(thumbs) == 2
    for thumb in thumbs:
        response = client.get(thumb)
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        full = client.get(thumb.removesuffix("?size=thumb"))
        assert full.status_code == 200 and Image.open(io.BytesIO(full.data)).format == "JPEG"
    with app.app_context():
        claim = the_claim(number)
        assert (claim.state, claim.photo_count, claim.goodwill) == (ClaimState.SUBMITTED, 2, False)
    unit_page = client.get(f"/my/units/{ownership_id}").get_data(as_text=True)
    assert number in unit_page and "Submitted" in unit_page
    listed = client.get("/my/claims").get_data(as_text=True)
    assert number in listed and "It does not work at all" in listed


def test_a_sixth_photo_is_refused(app, client, world):
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    login(client, world.owner)
    six = [(jpeg((i * 40, 0, 0)), f"p{i}.jpg") for i in range(6)]
    before = counts(app)
    response = file(client, ownership_id, photos=six)
    assert response.status_code == 400
    assert "at most 5 photos" in response.get_data(as_text=True)
    assert counts(app) == before

    number = filed(client, ownership_id, photos=six[:5])
    stored = counts(app)
    response = client.post(f"/my/claims/{number}/photos", data={"photos": [(io.BytesIO(six[5][0]), "p5.jpg")]},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "at most 5 photos" in response.get_data(as_text=True)
    assert counts(app) == stored
    with app.app_context():
        assert the_claim(number).photo_count == 5


def test_adding_photos_to_an_open_claim(app, client, world):
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    login(client, world.owner)
    number = filed(client, ownership_id)
    response = client.post(f"/my/claims/{number}/photos", data={"photos": [(io.BytesIO(jpeg()), "label.jpg")]},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200 and "1 photo added." in response.get_data(as_text=True)
    with app.app_context():
        assert the_claim(number).photo_count == 1


@pytest.mark.parametrize("payload, name, reason", [
    (b"this is not a picture at all, only text", "holiday.jpg", "holiday.jpg is not a photo we can read"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "fault.png",
     "fault.png: SVG pictures are not accepted"),
    (b"GIF89a" + b"\x00" * 64, "fault.gif", "fault.gif is not a photo we can read"),
])
def test_a_fake_upload_is_refused_and_nothing_is_stored(app, client, world, payload, name, reason):
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    login(client, world.owner)
    before = counts(app)
    # A real photo first: the fake one after it must not leave the real one behind either.
    response = file(client, ownership_id, photos=[(jpeg(), "real.jpg"), (payload, name)])
    assert 400 <= response.status_code < 500
    assert reason in response.get_data(as_text=True)
    assert counts(app) == before


def test_an_oversize_photo_is_refused_and_nothing_is_stored(app, client, world):
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    login(client, world.owner)
    big = jpeg(size=(200, 200), noise=True)
    app.config["MAX_UPLOAD_BYTES"], limit = 4096, app.config["MAX_UPLOAD_BYTES"]
    try:
        assert len(big) > 4096
        before = counts(app)
        response = file(client, ownership_id, photos=[(big, "huge.jpg")])
    finally:
        app.config["MAX_UPLOAD_BYTES"] = limit
    assert 400 <= response.status_code < 500
    assert "huge.jpg is larger than 4 KB" in response.get_data(as_text=True)
    assert counts(app) == before


def test_an_uncovered_unit_is_refused_without_goodwill_and_accepted_with_it(app, client, world):
    unit_id = old_unit(app)
    ownership_id = give(app, world.owner, unit_id, purchased_on=date(2015, 3, 1))
    login(client, world.owner)
    form = client.get(f"/my/units/{ownership_id}/claims/new").get_data(as_text=True)
    assert "The warranty ended on 1 March 2017." in form and str(GOODWILL_LABEL) in form

    response = file(client, ownership_id)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "The warranty ended on 1 March 2017." in page and "goodwill" in page
    assert counts(app)[0] == 0

    number = filed(client, ownership_id, goodwill="y")
    with app.app_context():
        claim = the_claim(number)
        assert claim.goodwill and not claim.covered_at_filing
    page = client.get(f"/my/claims/{number}").get_data(as_text=True)
    assert "Goodwill request" in page and "not under warranty" in page


def test_service_refusals_show_on_the_form(app, client, world):
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    login(client, world.owner)
    filed(client, ownership_id)
    again = file(client, ownership_id)  # the same problem while the first claim is open
    assert again.status_code == 409 and "is still open" in again.get_data(as_text=True)
    future = file(client, ownership_id, category="battery", started_on=(date.today() + timedelta(days=3)).isoformat())
    assert future.status_code == 422 and "cannot start in the future" in future.get_data(as_text=True)
    short = file(client, ownership_id, category="battery", description="Broken.")
    assert short.status_code == 400 and "a sentence or two" in short.get_data(as_text=True)


def test_another_owner_gets_404_on_the_claim_its_photos_and_pdfs(app, client, world):
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    login(client, world.owner)
    number = filed(client, ownership_id, photos=[(jpeg(), "front.jpg")])
    agent_moves(app, world, number, "approved")
    with app.app_context():
        entry_id = db.session.scalar(select(ClaimEntry.id).where(ClaimEntry.kind == "photo"))
    own = [f"/my/claims/{number}", f"/my/claims/{number}/photos/{entry_id}",
           f"/my/claims/{number}/photos/{entry_id}?size=thumb", f"/my/units/{ownership_id}/certificate.pdf",
           f"/my/units/{ownership_id}/claims/new"]
    for path in own:
        assert client.get(path).status_code == 200, path

    client.post("/signout")
    login(client, world.other_owner)
    for path in [*own, f"/my/claims/{number}/rma.pdf"]:
        assert client.get(path).status_code == 404, path
    for action in ("withdraw", "messages", "answer", "photos"):
        assert client.post(f"/my/claims/{number}/{action}", data={"body": "x", "answer": "x"}).status_code == 404
    assert number not in client.get("/my/claims").get_data(as_text=True)


def test_withdraw_works_before_a_decision(app, client, world):
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    login(client, world.owner)
    number = filed(client, ownership_id)
    assert "Withdraw the claim" in client.get(f"/my/claims/{number}").get_data(as_text=True)
    response = client.post(f"/my/claims/{number}/withdraw", follow_redirects=True)
    assert response.status_code == 200 and f"Claim {number} is withdrawn." in response.get_data(as_text=True)
    with app.app_context():
        assert the_claim(number).state is ClaimState.WITHDRAWN


def test_withdraw_is_refused_after_approval(app, client, world):
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    login(client, world.owner)
    number = filed(client, ownership_id)
    agent_moves(app, world, number, "approved")
    assert "Withdraw the claim" not in client.get(f"/my/claims/{number}").get_data(as_text=True)
    response = client.post(f"/my/claims/{number}/withdraw")
    assert response.status_code == 409
    assert "cannot become withdrawn" in response.get_data(as_text=True)
    with app.app_context():
        assert the_claim(number).state is ClaimState.APPROVED


def test_the_owner_answers_an_information_request_and_writes_messages(app, client, world):
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    login(client, world.owner)
    number = filed(client, ownership_id)
    agent_moves(app, world, number, "info_requested", note="Please send a photo of the serial label.")
    page = client.get(f"/my/claims/{number}").get_data(as_text=True)
    assert "Please send a photo of the serial label." in page and "Send the answer" in page

    empty = client.post(f"/my/claims/{number}/answer", data={"answer": ""})
    assert empty.status_code == 400 and "Write your answer first." in empty.get_data(as_text=True)
    response = client.post(f"/my/claims/{number}/answer", data={
        "answer": "Here is the label, a little worn.", "answer_photos": [(io.BytesIO(jpeg()), "label.jpg")]},
        content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Answered" in page and "Here is the label, a little worn." in page and "Send the answer" not in page
    assert 'alt="Photo 1: label.jpg"' in page
    with app.app_context():
        claim = the_claim(number)
        assert (claim.state, claim.photo_count) == (ClaimState.IN_REVIEW, 1)

    response = client.post(f"/my/claims/{number}/messages", data={"body": "I can bring it to a shop in Lyon."},
                           follow_redirects=True)
    assert response.status_code == 200 and "I can bring it to a shop in Lyon." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ClaimEntry).where(ClaimEntry.kind == "message")) == 1


def test_the_owner_gets_an_email_per_state_change(app, client, world, mailbox):
    from portal.notifications.services import deliver_due

    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    login(client, world.owner)
    number = filed(client, ownership_id)
    agent_moves(app, world, number, "info_requested", note="Which strap do you use?")
    assert client.post(f"/my/claims/{number}/answer", data={"answer": "The steel one."}).status_code == 302
    agent_moves(app, world, number, "approved")
    with app.app_context():
        deliver_due()
        rma_number = the_claim(number).rma_number
    subjects = [m["Subject"] for m in mailbox.to(world.owner) if number in m["Subject"]]
    assert subjects == [f"Claim {number}: submitted", f"Claim {number}: information requested",
                        f"Claim {number}: in review", f"Claim {number}: approved"]
    approved = mailbox.to(world.owner)[-1].get_body(preferencelist=("plain",)).get_content()
    assert rma_number in approved and f"http://portal.test/my/claims/{number}" in approved


def test_the_return_document_is_offered_once_approved(app, client, world):
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    login(client, world.owner)
    number = filed(client, ownership_id)
    assert client.get(f"/my/claims/{number}/rma.pdf").status_code == 404  # no RMA number yet
    agent_moves(app, world, number, "approved")
    with app.app_context():
        rma_number = the_claim(number).rma_number
    page = client.get(f"/my/claims/{number}").get_data(as_text=True)
    assert "Return number" in page and rma_number in page
    assert f"/my/claims/{number}/rma.pdf" in page
    response = client.get(f"/my/claims/{number}/rma.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert rma_number in pdf_text(response.data)


def test_the_certificate_pdf_names_the_unit_the_owner_and_the_coverage(app, client, world):
    ownership_id = give(app, world.owner, world.unit_ids_a[0])
    login(client, world.owner)
    assert "Warranty certificate (PDF)" in client.get(f"/my/units/{ownership_id}").get_data(as_text=True)
    response = client.get(f"/my/units/{ownership_id}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    text = pdf_text(response.data)
    for expected in (world.serials_a[0], "Olivia Owner", "Covered until", world.gtin_a, "Acme Watches",
                     "Acme Boutique", f"http://portal.test/01/{world.gtin_a}/21/{world.serials_a[0]}"):
        assert expected in text, expected

