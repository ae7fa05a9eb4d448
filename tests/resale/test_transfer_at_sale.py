"""The transfer at the moment of sale: from a proof, the seller offers the transfer (ownership's one-time code);
the signed-in buyer confirms receipt on the proof's page, and only then does ownership move, by
ownership.accept_transfer. The warranty passes by the model's rules, both get a confirmation through the outbox.
Two real connections race (a thread each, with its own session), on SQLite and on PostgreSQL."""
from __future__ import annotations

import re
import threading

from sqlalchemy import func, select

from portal.accounts.services import create_user, find_user
from portal.core.errors import DomainError
from portal.extensions import db
from portal.notifications.models import Notification
from portal.ownership.models import Ownership, TransferOffer, TransferState
from portal.resale import queries, services
from portal.resale.models import OwnershipProof
from tests.factories import PASSWORD, login
from tests.support.forms import shown
from tests.support.resale import build_sale, make_proof

TRIALS = 4


def _offer(app, sale, proof_id: int) -> str:
    seller = app.test_client()
    login(seller, sale.seller)
    offered = seller.post(f"/my/proofs/{proof_id}/offer")
    assert offered.status_code == 303  # post-redirect-get: the code is shown by a GET
    page = seller.get(offered.headers["Location"])
    assert page.status_code == 200
    return re.search(r'id="transfer-code"[^>]*>([A-Z0-9-]{14})<', page.text).group(1)


def _current_owner(app, unit_id: int) -> str:
    with app.app_context():
        return db.session.scalar(select(Ownership).where(Ownership.unit_id == unit_id, Ownership.is_current)).owner.email


def test_ownership_moves_only_when_the_buyer_confirms_receipt(app, client):
    sale = build_sale(app)
    proof_id, token = make_proof(app, sale)
    code = _offer(app, sale, proof_id)
    assert _current_owner(app, sale.unit_id) == sale.seller  # offered, not moved
    page = client.get(f"/proof/{token}?code={code}")
    assert "Bought it? Confirm receipt" in page.text and "Sign in to confirm receipt" in page.text
    assert client.post(f"/proof/{token}/receive", data={"code": code}).status_code == 302  # to sign in
    login(client, sale.buyer)
    page = client.get(f"/proof/{token}?code={code}")
    assert f'value="{code}"' in page.text
    done = client.post(f"/proof/{token}/receive", data={"code": code})
    assert done.status_code == 303 and "/my/units/" in done.headers["Location"]
    assert _current_owner(app, sale.unit_id) == sale.buyer
    with app.app_context():
        mails = {n.template: n.recipient for n in db.session.scalars(select(Notification))}
        assert mails["transfer_done"] == sale.seller and mails["resale_received"] == sale.buyer
        status = queries.proof_status(token)
        assert status.state is queries.ProofState.TRANSFERRED
        new = db.session.scalar(select(Ownership).where(Ownership.unit_id == sale.unit_id, Ownership.is_current))
        from portal.core.db import utcnow
        from portal.warranty.coverage import coverage
        cover = coverage(new.unit, utcnow())
        assert cover.covered and str(cover.until) == "2027-05-03"  # passed on, by the model's rules
    # The buyer's unit page shows it; the seller's old proof page says it changed hands.
    assert "Acme One" in client.get(done.headers["Location"]).text
    assert "changed hands" in app.test_client().get(f"/proof/{token}").text


def test_receipt_needs_the_code_offered_from_this_proof(app, client):
    sale = build_sale(app)
    proof_id, token = make_proof(app, sale)
    _, other_token = make_proof(app, sale)
    login(client, sale.buyer)
    # Nothing offered yet.
    answer = shown(client, client.post(f"/proof/{token}/receive", data={"code": "ABCD-EFGH-JKLM"}))
    assert answer.status_code == 422 and "has not offered the transfer" in answer.text
    code = _offer(app, sale, proof_id)
    for bad in ("", "x" * 41, "ABCD-EFGH-JKLM", "<b>1</b>"):
        answer = shown(client, client.post(f"/proof/{token}/receive", data={"code": bad}))
        assert answer.status_code in (400, 404, 422), bad
    # The right code through another proof of the same unit.
    answer = shown(client, client.post(f"/proof/{other_token}/receive", data={"code": code}))
    assert answer.status_code == 422
    assert _current_owner(app, sale.unit_id) == sale.seller


def test_revoking_the_proof_cancels_the_offer(app, client):
    sale = build_sale(app)
    proof_id, token = make_proof(app, sale)
    code = _offer(app, sale, proof_id)
    seller = app.test_client()
    login(seller, sale.seller)
    seller.post(f"/my/proofs/{proof_id}/revoke")
    login(client, sale.buyer)
    answer = shown(client, client.post(f"/proof/{token}/receive", data={"code": code}))
    assert answer.status_code == 422 and "no longer holds" in answer.text
    with app.app_context():
        assert db.session.scalar(select(TransferOffer)).state is TransferState.CANCELLED
    assert _current_owner(app, sale.unit_id) == sale.seller


def _race(app, token: str, moves: dict) -> dict:
    """Run each named move in its own thread and connection, released together."""
    barrier, outcome = threading.Barrier(len(moves)), {}

    def run(name, move):
        with app.app_context():
            barrier.wait()
            try:
                move()
                db.session.commit()
                outcome[name] = "won"
            except DomainError as err:
                db.session.rollback()
                outcome[name] = str(err)

    threads = [threading.Thread(target=run, args=item) for item in moves.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcome


def test_two_buyers_confirming_at_once_one_wins(app):
    sale = build_sale(app)
    with app.app_context():
        create_user("second.buyer@example.test", PASSWORD, name="Second Buyer", verified=True)
        db.session.commit()
    for trial in range(TRIALS):
        holder = _current_owner(app, sale.unit_id)
        with app.app_context():
            ownership = db.session.scalar(select(Ownership).where(Ownership.unit_id == sale.unit_id, Ownership.is_current))
            proof, token = services.create_proof(ownership.owner, ownership, days=3)
            _, code = services.offer_transfer(ownership.owner, proof)
            db.session.commit()
        buyers = [e for e in (sale.seller, sale.buyer, "second.buyer@example.test") if e != holder]

        def confirm(email, token=token, code=code):
            return lambda: services.confirm_receipt(find_user(email), queries.find_proof(token), code)

        outcome = _race(app, token, {email: confirm(email) for email in buyers})
        winners = [email for email, result in outcome.items() if result == "won"]
        assert len(winners) == 1, outcome
        assert _current_owner(app, sale.unit_id) == winners[0]
        with app.app_context():
            current = db.session.scalar(select(func.count()).select_from(Ownership).where(
                Ownership.unit_id == sale.unit_id, Ownership.is_current))
            assert current == 1
            assert db.session.scalar(select(func.count()).select_from(Notification).where(
                Notification.template == "resale_received", Notification.dedupe_key.like("resale-received:%"))) \
                == trial + 1  # one confirmation per sale, to the winner only


def test_the_seller_revoking_while_the_buyer_confirms_one_wins(app):
    sale = build_sale(app)
    for _ in range(TRIALS):
        holder = _current_owner(app, sale.unit_id)
        buyer = sale.buyer if holder == sale.seller else sale.seller
        with app.app_context():
            ownership = db.session.scalar(select(Ownership).where(Ownership.unit_id == sale.unit_id, Ownership.is_current))
            proof, token = services.create_proof(ownership.owner, ownership, days=3)
            _, code = services.offer_transfer(ownership.owner, proof)
            proof_id = proof.id
            db.session.commit()
        outcome = _race(app, token, {
            "buyer": lambda b=buyer, t=token, c=code: services.confirm_receipt(find_user(b), queries.find_proof(t), c),
            "seller": lambda h=holder, p=proof_id: services.revoke_proof(find_user(h), db.session.get(OwnershipProof, p)),
        })
        with app.app_context():
            offer = db.session.get(OwnershipProof, proof_id).transfer_offer
            moved = _current_owner(app, sale.unit_id) == buyer
            if outcome["buyer"] == "won":
                assert moved and offer.state is TransferState.ACCEPTED and outcome["seller"] != "won", outcome
            else:
                assert not moved and offer.state is TransferState.CANCELLED and outcome["seller"] == "won"


def test_creations_at_once_keep_the_per_unit_limit(app):
    sale = build_sale(app)
    make_proof(app, sale)
    make_proof(app, sale)  # two live: room for one more

    def create():
        ownership = db.session.get(Ownership, sale.ownership_id)
        services.create_proof(find_user(sale.seller), ownership, days=2)

    outcome = _race(app, "", {f"creation {i}": create for i in range(3)})
    assert sorted(outcome.values()).count("won") == 1, outcome
    with app.app_context():
        assert queries.live_count(sale.unit_id) == 3


def test_offering_the_transfer_redirects_and_a_reload_shows_the_same_code(app):
    """Post-redirect-get (issue 17): reloading the offered code's page never offers again, which would void the
    code the buyer was given; the page is the seller's, in the browser that offered it."""
    sale = build_sale(app)
    proof_id, _token = make_proof(app, sale)
    seller = app.test_client()
    login(seller, sale.seller)
    offered = seller.post(f"/my/proofs/{proof_id}/offer")
    assert offered.status_code == 303 and offered.headers["Location"] == f"/my/proofs/{proof_id}/offer"
    first, again = (seller.get(offered.headers["Location"]).text for _ in range(2))
    code = re.search(r'id="transfer-code"[^>]*>([A-Z0-9-]{14})<', first).group(1)
    assert code in again
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TransferOffer)) == 1
    other = app.test_client()  # the same seller in another browser: no code to show, back to the proof
    login(other, sale.seller)
    assert other.get(f"/my/proofs/{proof_id}/offer").status_code == 302
    stranger = app.test_client()
    login(stranger, sale.buyer)
    assert stranger.get(f"/my/proofs/{proof_id}/offer").status_code == 404
