"""Safety-only registration (GPSR Art. 35(2)), and reaching the unreachable (Art. 35(4)): the public notice
page of each campaign and its poster for shops."""
import io
import re

from pypdf import PdfReader
from sqlalchemy import func, select

from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.services import deliver_due
from portal.recalls import services
from portal.recalls.models import RecallUnit, RecallUnitState, SafetyContact
from tests.support.recalls import BIKE, make_draft


def register(client, serial="B-003", email="carla@example.test", gtin=BIKE):
    return client.post("/recalls/safety-registration", data={"gtin": gtin, "serial": serial, "email": email},
                       follow_redirects=True)  # post-redirect-get: the thank-you page is a GET


def erase_link(mailbox, email) -> str:
    texts = [m.get_body(("plain",)).get_content() for m in mailbox.to(email)]
    found = [re.search(r"https?://[^/\s]+/(recalls/safety-registration/erase/\S+)", t) for t in texts]
    return "/" + next(f for f in found if f).group(1)


def test_anyone_registers_with_an_email_and_a_serial_and_every_campaign_reaches_them(fleet, client, mailbox):
    assert client.get("/recalls/safety-registration").status_code == 200
    assert register(client).status_code == 200
    with fleet.app_context():
        deliver_due()
        assert db.session.scalar(select(func.count()).select_from(SafetyContact)) == 1
    assert "for safety information only" in mailbox.last_to("carla@example.test").get_body(("plain",)).get_content()
    with fleet.app_context():
        campaign = make_draft(lots=["CELL-A"])  # B-003 holds cell C-003 of lot CELL-A
        services.launch(campaign, remedy_available=True, actor="test")
        unit_state = db.session.scalar(select(RecallUnit.state).join(SafetyContact, SafetyContact.unit_id == RecallUnit.unit_id))
        db.session.commit()
        deliver_due()
    assert unit_state is RecallUnitState.NOTIFIED  # reached directly, by the safety-only contact
    notice = mailbox.last_to("carla@example.test")
    text = notice.get_body(("plain",)).get_content()
    assert notice["Subject"] == "IMPORTANT SAFETY RECALL: Cell overheating"
    assert "PRODUCT SAFETY RECALL" in text and "B-003" in text and "/recalls/ebike/R-1" in text
    assert "for safety information only; your address serves nothing else" in text


def test_a_contact_registering_during_a_campaign_is_told_at_once(fleet, client, mailbox):
    with fleet.app_context():
        services.launch(make_draft(lots=["CELL-A"]), remedy_available=True, actor="test")
        db.session.commit()
    register(client, serial="B-004", email="dora@example.test")
    with fleet.app_context():
        deliver_due()
    subjects = [m["Subject"] for m in mailbox.to("dora@example.test")]
    assert "IMPORTANT SAFETY RECALL: Cell overheating" in subjects and len(subjects) == 2


def test_the_contact_is_erased_on_request_with_the_notices_sent_to_it(fleet, client, mailbox):
    register(client)
    with fleet.app_context():
        services.launch(make_draft(lots=["CELL-A"]), remedy_available=True, actor="test")
        db.session.commit()
        deliver_due()
    link = erase_link(mailbox, "carla@example.test")
    assert client.get(link).status_code == 200
    erased = client.post(link)
    assert erased.status_code == 302 and client.get(erased.headers["Location"]).status_code == 200  # PRG
    with fleet.app_context():
        assert db.session.scalar(select(func.count()).select_from(SafetyContact)) == 0
        recipients = set(db.session.scalars(select(Notification.recipient).where(
            Notification.dedupe_key.like("recall:%"))))
    assert "carla@example.test" not in recipients and "erased" in recipients
    assert client.get(link).status_code == 404
    assert client.post(link).status_code == 404


def test_contacts_go_when_their_units_campaigns_end(fleet, client):
    register(client)  # B-003: in the CELL-A campaign
    register(client, serial="B-009", email="erik@example.test")  # in no campaign
    with fleet.app_context():
        campaign = make_draft(lots=["CELL-A"])
        services.launch(campaign, remedy_available=True, actor="test")
        services.close(campaign, actor="test", confirmed_rate=0.0, reason="test")
        left = set(db.session.scalars(select(SafetyContact.email)))
    assert left == {"erik@example.test"}


def test_bad_registrations_get_a_clear_answer(fleet, client):
    assert register(client, gtin="123").status_code == 422
    assert register(client, serial="NOPE").status_code == 404
    assert register(client, email="not an address").status_code == 422
    assert register(client, email="a@b.example\r\nBcc: x@y.example").status_code == 422
    with fleet.app_context():
        assert db.session.scalar(select(func.count()).select_from(SafetyContact)) == 0


def test_each_campaign_has_a_public_notice_page_and_a_shop_poster(fleet, client):
    with fleet.app_context():
        campaign = make_draft(lots=["CELL-A"])
        db.session.commit()
    assert client.get("/recalls/ebike/R-1").status_code == 404  # a draft is not public
    with fleet.app_context():
        services.launch(db.session.merge(campaign), remedy_available=True, actor="test")
        db.session.commit()
    page = client.get("/recalls/ebike/R-1", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Rappel de produit pour raisons de sécurité" in page and "Cessez immédiatement" in page
    assert "Please share this notice" in page and "0800 100 200" in page
    poster = client.get("/recalls/ebike/R-1/poster.pdf")
    assert poster.status_code == 200 and poster.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(poster.data)).pages)
    assert "PRODUCT SAFETY RECALL" in text.upper() and "Stop using the product immediately." in text
    assert "lot CELL-A" in " ".join(text.split()) and "/recalls/ebike/R-1" in "".join(text.split())
    assert client.get("/recalls/ebike/R-404/poster.pdf").status_code == 404
