"""A proof's link shows the status now: after a transfer, a stolen report or a recall it says so first, in
the scan's verdict words, and shows no facts it no longer proves."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from portal.accounts.services import find_user
from portal.catalog.models import Manufacturer
from portal.extensions import db
from portal.ownership import services as ownership_services
from portal.ownership.models import Ownership
from portal.recalls import services as recalls
from portal.resale import queries
from portal.resale.models import OwnershipProof, RevokedBecause
from tests.factories import GPSR_NOTICE, login
from tests.support.resale import build_sale, make_proof


def _verdict(html: str) -> tuple[str, str]:
    """The verdict section's state and its first sentence: what the page says first."""
    section = re.search(r'<section class="verdict verdict-(\w+)"[^>]*data-state="(\w+)".*?</section>', html, re.DOTALL)
    why = re.search(r'<p class="verdict-why">(.*?)</p>', section.group(0), re.DOTALL).group(1).strip()
    assert html.index(section.group(0)) < html.index('class="card product-card"')  # the status comes first
    return section.group(2), why


def test_after_a_transfer_the_proof_says_the_unit_changed_hands(app, client):
    sale = build_sale(app)
    _, token = make_proof(app, sale)
    with app.app_context():
        ownership = db.session.get(Ownership, sale.ownership_id)
        _, code = ownership_services.start_transfer(find_user(sale.seller), ownership)
        ownership_services.accept_transfer(find_user(sale.buyer), code, purchased_on=date.today())
        db.session.commit()
        status = queries.proof_status(token)
        assert status.state is queries.ProofState.TRANSFERRED and not status.holds
        assert status.registered_since is None and status.warranty is None
        proof = queries.find_proof(token)
        assert proof.revoked_because is RevokedBecause.TRANSFERRED  # revoked by the transfer, at once
    page = client.get(f"/proof/{token}")
    state, why = _verdict(page.text)
    assert state == "transferred" and why.startswith("This unit changed hands on")
    assert "Genuine, with a warning" in page.text and "registered to the seller since" not in page.text.lower()
    assert client.get(f"/proof/{token}/status").json["proof"]["holds"] is False


def test_a_stolen_report_revokes_every_proof_of_the_unit_at_once(app, client):
    sale = build_sale(app)
    tokens = [make_proof(app, sale)[1] for _ in range(3)]
    login(client, sale.seller)
    assert client.post(f"/my/units/{sale.ownership_id}/stolen", data={"place": "", "note": ""}).status_code == 302
    with app.app_context():
        proofs = list(db.session.scalars(select(OwnershipProof)))
        assert len(proofs) == 3 and all(p.revoked_because is RevokedBecause.STOLEN and p.revoked_at for p in proofs)
        assert len({p.revoked_at for p in proofs}) == 1  # one statement
    for token in tokens:
        state, why = _verdict(app.test_client().get(f"/proof/{token}").text)
        assert state == "stolen" and why.startswith("This unit was reported stolen on")
    # Reported recovered: the old proofs stay revoked, never valid again.
    client.post(f"/my/units/{sale.ownership_id}/recovered")
    with app.app_context():
        assert {queries.proof_status(t).state for t in tokens} == {queries.ProofState.REVOKED}
    # And a stolen unit gets no new proof.
    client.post(f"/my/units/{sale.ownership_id}/stolen", data={"place": "", "note": ""})
    refused = client.post(f"/my/units/{sale.ownership_id}/proofs", data={"days": "5", "serial_shown": "masked"},
                          follow_redirects=True)
    assert "reported stolen cannot get an ownership proof" in refused.text


def test_a_recall_shows_as_a_warning_and_the_proof_still_holds(app, client):
    sale = build_sale(app)
    _, token = make_proof(app, sale)
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        campaign = recalls.save_draft(acme, actor="test", **GPSR_NOTICE, number="R-77", title="Crown may loosen",
                                      hazard="The crown may come loose.",
                                      criteria={"model_ids": [sale.world.model_id_a]})
        recalls.launch(campaign, remedy_available=True, actor="test")
        db.session.commit()
        status = queries.proof_status(token)
        assert status.state is queries.ProofState.RECALLED and status.holds
        assert [(r.number, r.open) for r in status.recalls] == [("R-77", True)]
    page = client.get(f"/proof/{token}")
    state, why = _verdict(page.text)
    assert state == "recalled" and "safety recall" in why
    assert "verdict-warning" in page.text and "R-77: Crown may loosen" in page.text
    assert client.get(f"/proof/{token}/status").json["recalls"] == [
        {"number": "R-77", "title": "Crown may loosen", "open": True}]


def test_warranty_that_passes_follows_the_models_transfer_rule(app):
    from portal.catalog.models import ProductModel
    from portal.warranty.services import save_terms

    sale = build_sale(app)
    _, token = make_proof(app, sale)
    with app.app_context():
        carried = queries.proof_status(token).warranty
        assert carried.carries and carried.until == date(2027, 5, 3)  # 24 months from the receipt's date
        save_terms(db.session.get(ProductModel, sale.world.model_id_a), clock_start="purchase", grace_days=90,
                   survives_transfer=False, replacement_rule="remaining", scope=["parts", "labour"], actor="test")
        db.session.commit()
        carried = queries.proof_status(token).warranty
        assert not carried.carries and carried.until is None
        # The seller's own coverage is untouched: only a buyer would lose it.
        from portal.catalog.models import Unit
        from portal.core.db import utcnow
        from portal.warranty.coverage import coverage
        assert coverage(db.session.get(Unit, sale.unit_id), utcnow()).covered


def test_an_erased_account_ends_its_proofs(app, client):
    from portal.privacy.erasure import erase_account
    from tests.factories import PASSWORD

    sale = build_sale(app)
    _, token = make_proof(app, sale)
    with app.app_context():
        erase_account(find_user(sale.seller), PASSWORD)
        db.session.commit()
        proof = queries.find_proof(token)
        assert proof.revoked_at is not None and proof.revoked_because is RevokedBecause.OWNER
        assert queries.proof_status(token).state is queries.ProofState.REVOKED  # not "changed hands"
    state, why = _verdict(client.get(f"/proof/{token}").text)
    assert state == "revoked" and why.startswith("The owner revoked this proof on")


def test_service_history_only_when_the_owner_chose_it(app, client):
    from tests.support.resale import add_service

    sale = build_sale(app)
    add_service(app, sale)
    _, without = make_proof(app, sale)
    _, with_history = make_proof(app, sale, include_service=True)
    assert client.get(f"/proof/{without}/status").json["serviceHistory"] is None
    assert "CROWN-77" not in client.get(f"/proof/{without}").text
    history = client.get(f"/proof/{with_history}/status").json["serviceHistory"]
    assert [(e["date"], e["kind"], e["partSerial"], e["source"]) for e in history] == [
        ("2026-03-02", "part_replaced", "CROWN-77", "partner")]
    page = client.get(f"/proof/{with_history}").text
    assert "Part replaced" in page and "Atelier Genève" in page
