"""Ownership proofs: made from the owner's unit page, 1 to 90 days, revocable, at most three live per unit,
rate-limited per account; their links are unguessable and bad ones answer 404."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.services import find_user
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.resale import queries, services
from portal.resale.models import OwnershipProof
from tests.factories import login
from tests.support.resale import build_sale, make_proof


@pytest.fixture
def sale(app):
    return build_sale(app)


def _proof_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OwnershipProof))


def test_owner_creates_a_proof_from_the_unit_page_and_a_buyer_opens_it(app, client, sale):
    login(client, sale.seller)
    page = client.get(f"/my/units/{sale.ownership_id}")
    assert f'action="/my/units/{sale.ownership_id}/proofs"' in page.text
    response = client.post(f"/my/units/{sale.ownership_id}/proofs", data={"days": "30", "serial_shown": "masked"})
    assert response.status_code == 303 and "/my/proofs/" in response.headers["Location"]
    mine = client.get(response.headers["Location"])
    token = re.search(r"/proof/([A-Za-z0-9_-]{22})", mine.text).group(1)
    assert "<svg" in mine.text  # the QR code of the link
    buyer = app.test_client()
    public = buyer.get(f"/proof/{token}")
    assert public.status_code == 200
    assert "Genuine, registered to the seller since May 2025" in public.text
    assert public.headers["Cache-Control"] == "no-store"
    assert "ACME-0001" not in public.text and "0001" in public.text  # masked, as chosen
    with app.app_context():
        proof = queries.find_proof(token)
        assert proof.expires_at - proof.created_at == timedelta(days=30)
        assert proof.token_hash != token and token not in proof.token_enc


def test_a_proof_with_the_serial_in_full(app, sale):
    _, token = make_proof(app, sale, serial_shown="full")
    with app.app_context():
        assert queries.proof_status(token).product.serial == "ACME-0001"


@pytest.mark.parametrize("days", ["0", "91", "-3", "abc", "", "1e9", "30.5"])
def test_validity_outside_1_to_90_days_is_refused_and_nothing_stored(app, client, sale, days):
    login(client, sale.seller)
    response = client.post(f"/my/units/{sale.ownership_id}/proofs", data={"days": days, "serial_shown": "masked"})
    assert response.status_code == 303 and "/my/units/" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert "flash error" in page.text
    assert _proof_count(app) == 0


def test_service_refuses_bad_validity_and_bad_serial_choice(app, sale):
    with app.app_context():
        ownership = db.session.get(Ownership, sale.ownership_id)
        seller = find_user(sale.seller)
        for days in (0, 91, True, "30"):
            with pytest.raises(Invalid):
                services.create_proof(seller, ownership, days=days)
        with pytest.raises(Invalid):
            services.create_proof(seller, ownership, days=5, serial_shown="half")


def test_a_proof_expires(app, client, sale):
    proof_id, token = make_proof(app, sale, days=1)
    with app.app_context():
        assert queries.proof_status(token).state is queries.ProofState.VALID
        later = queries.proof_status(token, now=utcnow() + timedelta(days=1, minutes=1))
        assert later.state is queries.ProofState.EXPIRED and not later.holds and later.registered_since is None
        # Time passes for the page too: the proof was made two days ago.
        proof = db.session.get(OwnershipProof, proof_id)
        proof.created_at, proof.expires_at = utcnow() - timedelta(days=2), utcnow() - timedelta(days=1)
        db.session.commit()
    page = client.get(f"/proof/{token}")
    assert "Cannot verify" in page.text and "This proof expired on" in page.text
    assert "registered to the seller" not in page.text.lower()
    assert client.get(f"/proof/{token}/credential").status_code == 410
    assert client.get(f"/proof/{token}/status").json["proof"]["state"] == "expired"


def test_the_owner_revokes_a_proof(app, client, sale):
    proof_id, token = make_proof(app, sale)
    login(client, sale.seller)
    assert client.post(f"/my/proofs/{proof_id}/revoke").status_code == 303
    buyer = app.test_client()
    page = buyer.get(f"/proof/{token}")
    assert "The owner revoked this proof on" in page.text
    assert buyer.get(f"/proof/{token}/status").json["proof"]["state"] == "revoked"
    assert buyer.get(f"/proof/{token}/credential").status_code == 410
    # A second revocation is refused, nothing else changes.
    again = client.post(f"/my/proofs/{proof_id}/revoke", follow_redirects=True)
    assert "already revoked" in again.text


def test_at_most_three_live_proofs_per_unit(app, client, sale):
    ids = [make_proof(app, sale)[0] for _ in range(3)]
    login(client, sale.seller)
    refused = client.post(f"/my/units/{sale.ownership_id}/proofs", data={"days": "10", "serial_shown": "full"},
                          follow_redirects=True)
    assert "already has 3 live proofs" in refused.text
    assert _proof_count(app) == 3
    with app.app_context(), pytest.raises(Conflict):
        services.create_proof(find_user(sale.seller), db.session.get(Ownership, sale.ownership_id), days=3)
    client.post(f"/my/proofs/{ids[0]}/revoke")
    assert client.post(f"/my/units/{sale.ownership_id}/proofs",
                       data={"days": "10", "serial_shown": "full"}).status_code == 303
    assert _proof_count(app) == 4


def test_proof_making_is_rate_limited_per_account(app, client, sale):
    app.config["RESALE_PROOF_RATE"] = "2 per hour"
    try:
        login(client, sale.seller)
        answers = []
        for _ in range(3):
            answers.append(client.post(f"/my/units/{sale.ownership_id}/proofs",
                                       data={"days": "5", "serial_shown": "masked"}).status_code)
        assert answers == [303, 303, 429]
        assert _proof_count(app) == 2
    finally:
        app.config.pop("RESALE_PROOF_RATE")


@pytest.mark.parametrize("token", ["x", "A" * 22, "A" * 23, "A" * 400, "%00" * 8, "../../etc/passwd",
                                   "<script>alert(1)</script>", "ÄÖÜäöüß" * 4])
def test_bad_or_unknown_proof_links_answer_404(app, client, sale, token):
    make_proof(app, sale)
    for suffix in ("", "/status", "/credential"):
        assert client.get(f"/proof/{token}{suffix}").status_code == 404


def test_another_person_cannot_see_revoke_or_offer_a_proof(app, client, sale):
    proof_id, token = make_proof(app, sale)
    login(client, sale.world.other_owner)
    assert client.get(f"/my/proofs/{proof_id}").status_code == 404
    assert client.get(f"/my/proofs/{proof_id}/qr.png").status_code == 404
    assert client.post(f"/my/proofs/{proof_id}/revoke").status_code == 404
    assert client.post(f"/my/proofs/{proof_id}/offer").status_code == 404
    assert client.post(f"/my/units/{sale.ownership_id}/proofs", data={"days": "5"}).status_code == 404
    with app.app_context():
        assert queries.proof_status(token).state is queries.ProofState.VALID


def test_qr_code_png_of_the_link(app, client, sale):
    proof_id, _ = make_proof(app, sale)
    login(client, sale.seller)
    response = client.get(f"/my/proofs/{proof_id}/qr.png")
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
