"""Mail and PDFs are written in the recipient's language, whoever caused them and whenever they are sent."""
import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.accounts.services import create_user, find_user
from portal.catalog.models import Unit
from portal.extensions import db
from portal.notifications.services import deliver_due
from portal.ownership.models import Ownership
from portal.ownership.services import register_unit
from portal.recalls import services as recalls
from portal.recalls.letters import render_letters
from portal.warranty import services as claims
from tests.factories import GPSR_NOTICE, PASSWORD, build_world, login


@pytest.fixture
def world(app):
    """Olivia (German) owns the first Acme watch, Otto (no choice made) the second."""
    world = build_world(app)
    with app.app_context():
        olivia, otto = find_user(world.owner), find_user(world.other_owner)
        olivia.locale = "de"
        for user, unit_id in ((olivia, world.unit_ids_a[0]), (otto, world.unit_ids_a[1])):
            register_unit(user, db.session.get(Unit, unit_id), purchased_on=date(2025, 3, 1))
        db.session.commit()
        deliver_due()  # whatever registration sent; the tests look at what comes next
    return world


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def pdf_text(data: bytes) -> str:
    """The PDF's words, one space apart (where a line wraps is layout, not language)."""
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def test_claim_mail_caused_by_an_english_agent_reaches_the_owner_in_german(app, world, mailbox):
    with app.app_context():
        olivia = find_user(world.owner)
        claim = claims.file_claim(olivia, db.session.get(Unit, world.unit_ids_a[0]), category="does_not_work",
                                  description="Die Krone hat sich gelöst.", started_on=date.today(), goodwill=True)
        agent = find_user(world.staff_a["claims_agent"])
        claims.add_message(claim, agent, "agent", "Please send a photo of the crown.")
        number = claim.number
        db.session.commit()
        deliver_due()
    subjects = [m["Subject"] for m in mailbox.to(world.owner)]
    assert f"Reklamation {number}: eingereicht" in subjects  # the state's name too is hers
    assert f"Reklamation {number}: eine Nachricht des Herstellers" in subjects
    body = text_of(mailbox.last_to(world.owner))
    assert body.startswith("Guten Tag Olivia Owner,") and "Please send a photo of the crown." in body
    assert "Verfolgen Sie Ihre Reklamation: http://portal.test/my/claims/" in body


def test_recall_notices_of_one_launch_go_out_in_each_owners_language(app, world, mailbox):
    with app.app_context():
        acme = db.session.get(Unit, world.unit_ids_a[0]).model.manufacturer
        otto = find_user(world.other_owner)
        otto.locale = "fr"
        campaign = recalls.save_draft(acme, actor="test", **GPSR_NOTICE, number="R-9", title="Crown may loosen",
                                      hazard="The crown can come off.", criteria={"lots": ["L1"]})
        recalls.launch(campaign, remedy_available=True, actor="test")
        db.session.commit()
        assert deliver_due() == 2
    german, french = mailbox.last_to(world.owner), mailbox.last_to(world.other_owner)
    assert german["Subject"] == "WICHTIGER SICHERHEITSRÜCKRUF: Crown may loosen"
    assert text_of(german).startswith("WICHTIGE INFORMATIONEN ZU EINEM SICHERHEITSRÜCKRUF")
    assert "Betroffenes Produkt:" in text_of(german) and "Seriennummer ACME-0001" in text_of(german)
    assert french["Subject"] == "RAPPEL DE SÉCURITÉ IMPORTANT : Crown may loosen"
    assert text_of(french).startswith("INFORMATIONS IMPORTANTES SUR UN RAPPEL DE SÉCURITÉ")
    html = french.get_body(("html",)).get_content()
    assert "Accuser réception et choisir votre mesure corrective" in html


def test_an_owner_without_a_choice_gets_english_mail(app, world, mailbox):
    with app.app_context():
        otto = find_user(world.other_owner)
        assert otto.locale is None
        claim = claims.file_claim(otto, db.session.get(Unit, world.unit_ids_a[1]), category="battery",
                                  description="The battery drains within a day.", started_on=date.today(),
                                  goodwill=True)
        claims.add_message(claim, find_user(world.staff_a["claims_agent"]), "agent", "Which charger?")
        db.session.commit()
        deliver_due()
    assert mailbox.last_to(world.other_owner)["Subject"].endswith(": a message from the manufacturer")


def test_the_certificate_speaks_the_owners_language_with_local_dates(app, client, world):
    login(client, world.owner)
    client.get("/language/en")  # the page may be English...
    with app.app_context():
        assert find_user(world.owner).locale == "en"  # the switcher stored it on her account too
        find_user(world.owner).locale = "de"  # ...then she chose German on another device: the account wins
        db.session.commit()
        ownership_id = db.session.scalar(select(Ownership.id).where(Ownership.unit_id == world.unit_ids_a[0]))
    response = client.get(f"/my/units/{ownership_id}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Garantiezertifikat" in text and "Eigentümer seit" in text and "Kaufnachweis" in text
    assert "1. März 2025" in text  # bought on 1 March 2025
    assert "Warranty certificate" not in text


def test_recall_letters_of_one_batch_each_speak_their_owners_language(app, world):
    with app.app_context():
        acme = db.session.get(Unit, world.unit_ids_a[0]).model.manufacturer
        # Unconfirmed addresses: only a printed letter reaches them (registration needs a confirmed one,
        # so their ownerships are written directly).
        lea = create_user("lea@example.test", PASSWORD, name="Lea")
        lea.locale = "de"
        db.session.add(Ownership(unit=db.session.get(Unit, world.unit_ids_a[2]), owner=lea,
                                 purchased_on=date(2025, 2, 2)))
        remi = create_user("remi@example.test", PASSWORD, name="Rémi")
        remi.locale = "fr"
        db.session.execute(db.update(Ownership).where(Ownership.unit_id == world.unit_ids_a[1])
                           .values(owner_id=remi.id))
        campaign = recalls.save_draft(acme, actor="test", **GPSR_NOTICE, number="R-3", title="Crown may loosen",
                                      hazard="The crown can come off.", criteria={"lots": ["L1"]})
        recalls.launch(campaign, remedy_available=True, actor="test")
        out = io.BytesIO()
        assert render_letters(campaign, out) == 2
        db.session.rollback()
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(out.getvalue())).pages]
    german = next(p for p in pages if "Lea" in p)
    french = next(p for p in pages if "Rémi" in p)
    assert "WICHTIGE INFORMATIONEN ZU EINEM SICHERHEITSRÜCKRUF" in german and "Die Gefahr:" in german
    assert "INFORMATIONS IMPORTANTES SUR UN RAPPEL DE SÉCURITÉ" in french and "Le danger :" in french


def test_the_return_document_and_the_approval_mail_speak_the_owners_language(app, world, mailbox):
    from portal.warranty.rma import render_rma

    with app.app_context():
        olivia = find_user(world.owner)
        claim = claims.file_claim(olivia, db.session.get(Unit, world.unit_ids_a[0]), category="battery",
                                  description="Der Akku ist nach einem Tag leer.", started_on=date.today(),
                                  goodwill=True)
        agent = find_user(world.staff_a["claims_agent"])
        claims.move(claim, "in_review", actor=agent, role="agent")
        claims.move(claim, "approved", actor=agent, role="agent")
        db.session.commit()
        deliver_due()
        text = pdf_text(render_rma(claim))  # an agent may print it; it is still for her parcel
        rma = claim.rma_number
    assert "Rücksendegenehmigung" in text and "RMA-Nummer" in text and rma in text
    assert "Retourenabteilung, Acme Watches" in text and "Problem mit Akku oder Laden" in text
    assert "So verpacken Sie es" in text and "Return authorisation" not in text
    approval = text_of(mailbox.last_to(world.owner))
    assert f"Ihre Rücksendenummer (RMA) lautet {rma}." in approval and "Status: Genehmigt." in approval
