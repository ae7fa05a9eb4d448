"""The marketplace API: platform tokens with scopes, verifying a proof by id or by its credential, the check at
the moment of sale, webhook subscriptions (https, public addresses only), signed events enqueued in the outbox
for every status change, and no personal data in any answer or webhook, field by field."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from sqlalchemy import select, update

from portal.accounts.services import find_user
from portal.catalog.models import Manufacturer
from portal.core.db import utcnow
from portal.extensions import db
from portal.notifications.models import DeliveryState, Notification
from portal.notifications.services import deliver_due
from portal.ownership import services as ownership_services
from portal.ownership.models import Ownership
from portal.recalls import services as recalls
from portal.resale import marketplace
from portal.resale import services as resale_services
from portal.resale.marketplace_models import MarketplaceClient, WebhookSubscription
from portal.resale.models import OwnershipProof
from tests.factories import GPSR_NOTICE
from tests.support.api import make_token
from tests.support.resale import PERSONAL, SELLER_NAME, add_service, build_sale, make_proof

BOTH = ["proofs:verify", "proofs:subscribe"]


def issue(app, scopes=BOTH, days=30) -> str:
    with app.app_context():
        _, token = marketplace.issue_client(name="Chrono Market", scopes=scopes, days=days, actor="test")
        db.session.commit()
    return token


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def strings_in(value) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings_in(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return [str(value)]


def assert_no_personal_data(document) -> None:
    text = " ".join(strings_in(document)).lower()
    for needle in [*PERSONAL, SELLER_NAME]:
        assert needle.lower() not in text, needle


#: Every field a marketplace reads of a proof, by path: a new field fails here until someone decides it is not
#: personal data.
STATUS_FIELDS = {
    "proof.reference", "proof.url", "proof.state", "proof.holds", "proof.verdict", "proof.issuedAt",
    "proof.expiresAt", "proof.endedAt", "product.gtin", "product.name", "product.manufacturer", "product.serial",
    "product.serialMasked", "product.manufactured", "registeredToPresenterSince", "reportedStolen", "recalls",
    "warrantyOnTransfer", "warrantyOnTransfer.carries", "warrantyOnTransfer.until", "warrantyOnTransfer.scopes",
    "serviceHistory", "transferOffered"}


def paths(document: dict, prefix: str = "") -> set[str]:
    """Every field's dotted path (lists are leaves; the two top-level groups are not fields themselves)."""
    found = set()
    for key, value in document.items():
        path = prefix + key
        if not isinstance(value, dict) or prefix or key not in ("proof", "product"):
            found.add(path)
        if isinstance(value, dict):
            found |= paths(value, path + ".")
    return found


# --- tokens and scopes -------------------------------------------------------------------------------------

def test_only_marketplace_tokens_with_the_scope_get_in(app, client):
    sale = build_sale(app)
    _, token = make_proof(app, sale)
    path = f"/api/v1/marketplace/proofs/{token}"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=auth(make_token(app, sale.world))).status_code == 401  # a tenant's token
    assert client.get(path, headers=auth("pvm_abcdefghij_nope")).status_code == 401
    subscribe_only = issue(app, ["proofs:subscribe"])
    assert client.get(path, headers=auth(subscribe_only)).status_code == 403
    verify_only = issue(app, ["proofs:verify"])
    assert client.get(path, headers=auth(verify_only)).status_code == 200
    # A marketplace token is no manufacturer's: the tenant endpoints do not know it.
    unit_path = f"/api/v1/units/{sale.world.gtin_a}/{sale.world.serials_a[0]}"
    assert client.get(unit_path, headers=auth(verify_only)).status_code == 401
    refused = client.post("/api/v1/marketplace/subscriptions", headers=auth(verify_only),
                          json={"proof": token, "url": "https://hooks.example.com/p"})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    with app.app_context():
        prefix = verify_only.split("_")[1]
        marketplace.revoke_client(prefix, actor="test")
        db.session.commit()
    assert client.get(path, headers=auth(verify_only)).status_code == 401
    expired = issue(app, ["proofs:verify"])
    with app.app_context():
        db.session.execute(update(MarketplaceClient).where(MarketplaceClient.prefix == expired.split("_")[1])
                           .values(created_at=utcnow() - timedelta(days=3), expires_at=utcnow() - timedelta(days=1)))
        db.session.commit()
        stored = db.session.scalars(select(MarketplaceClient.secret_hash)).all()
    assert client.get(path, headers=auth(expired)).status_code == 401
    assert all(len(h) == 64 for h in stored) and expired.split("_")[2] not in " ".join(stored)  # hashed at rest


def test_the_platform_admin_issues_and_revokes_clients_from_the_command_line(app):
    runner = app.test_cli_runner()
    issued = runner.invoke(args=["marketplace", "issue", "--name", "Dealer Desk", "--scope", "proofs:verify"])
    assert issued.exit_code == 0, issued.output
    token = issued.output.split(": ", 1)[1].split()[0]
    assert token.startswith("pvm_")
    bad = runner.invoke(args=["marketplace", "issue", "--name", "", "--scope", "proofs:verify"])
    assert bad.exit_code != 0 and "Name the marketplace" in bad.output
    assert runner.invoke(args=["marketplace", "revoke", token.split("_")[1]]).exit_code == 0
    assert app.test_client().get("/api/v1/marketplace/proofs/" + "a" * 22, headers=auth(token)).status_code == 401


# --- verifying ---------------------------------------------------------------------------------------------

def test_verify_by_id_answers_the_live_status_and_nothing_personal(app, client):
    sale = build_sale(app)
    add_service(app, sale)
    _, token = make_proof(app, sale, include_service=True)
    answer = client.get(f"/api/v1/marketplace/proofs/{token}", headers=auth(issue(app)))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["proof"]["holds"] is True and body["proof"]["state"] == "valid"
    assert body["registeredToPresenterSince"] == "2025-05"
    assert_no_personal_data(body)
    assert paths(body) == STATUS_FIELDS
    assert client.get("/api/v1/marketplace/proofs/not-a-token", headers=auth(issue(app))).status_code == 404


def test_the_sale_check_follows_revocation_transfer_and_theft(app, client):
    sale = build_sale(app)
    key = auth(issue(app))
    tokens = [make_proof(app, sale)[1] for _ in range(2)]
    check = client.get(f"/api/v1/marketplace/proofs/{tokens[0]}/sale-check", headers=key).get_json()
    assert check["holds"] is True and check["state"] == "valid" and check["checkedAt"].endswith("Z")
    with app.app_context():
        resale_services.revoke_proof(find_user(sale.seller), queries_find(tokens[0]))
        db.session.commit()
    check = client.get(f"/api/v1/marketplace/proofs/{tokens[0]}/sale-check", headers=key).get_json()
    assert (check["holds"], check["state"]) == (False, "revoked")
    with app.app_context():
        ownership = db.session.get(Ownership, sale.ownership_id)
        ownership_services.report_stolen(find_user(sale.seller), ownership)
        db.session.commit()
    check = client.get(f"/api/v1/marketplace/proofs/{tokens[1]}/sale-check", headers=key).get_json()
    assert (check["holds"], check["state"]) == (False, "stolen")
    assert_no_personal_data(check)


def queries_find(token: str) -> OwnershipProof:
    from portal.resale.queries import find_proof

    return find_proof(token)


def test_a_credential_verifies_and_a_tampered_one_is_refused(app, client):
    sale = build_sale(app)
    _, token = make_proof(app, sale)
    jws = client.get(f"/proof/{token}/credential").get_data(as_text=True)
    key = auth(issue(app))
    answer = client.post("/api/v1/marketplace/credentials/verify", headers=key, json={"credential": jws})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["signatureValid"] is True and body["status"]["proof"]["holds"] is True
    assert_no_personal_data(body)
    head, payload, signature = jws.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["reportedStolen"] = True
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    for bad in (f"{head}.{forged}.{signature}", f"{head}.{payload}.{signature[:-4]}AAAA", "a.b", "x" * 50,
                f"{head}.{payload}"):
        refused = client.post("/api/v1/marketplace/credentials/verify", headers=key, json={"credential": bad})
        assert refused.status_code == 422, (bad, refused.get_data(as_text=True))
    assert client.post("/api/v1/marketplace/credentials/verify", headers=key,
                       json={"credential": jws, "extra": 1}).status_code == 422


# --- subscriptions -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://hooks.example.com/p", "https://127.0.0.1/p", "https://localhost/p", "https://10.1.2.3/p",
    "https://192.168.0.10/p", "https://169.254.169.254/latest/meta-data", "https://[::1]/p",
    "https://[::ffff:127.0.0.1]/p", "https://user:pass@hooks.example.com/p", "https://hooks.example.com:22/p",
    "ftp://hooks.example.com/p", "https://", "javascript:alert(1)", "https://no-such-host.invalid/p"])
def test_webhook_urls_must_be_https_on_public_addresses(app, client, url):
    sale = build_sale(app)
    _, token = make_proof(app, sale)
    answer = client.post("/api/v1/marketplace/subscriptions", headers=auth(issue(app)),
                         json={"proof": token, "url": url})
    assert answer.status_code == 422, answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(WebhookSubscription)).all() == []


def subscribe(app, client, token, url, key=None) -> dict:
    answer = client.post("/api/v1/marketplace/subscriptions", headers=key or auth(issue(app)),
                         json={"proof": token, "url": url})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def test_a_subscription_shows_its_secret_once_and_keeps_it_encrypted(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
    sale = build_sale(app)
    _, token = make_proof(app, sale)
    key = auth(issue(app))
    made = subscribe(app, client, token, "http://127.0.0.1:9/hook", key)
    assert made["secret"].startswith("whsec_") and made["state"] == "valid"
    assert_no_personal_data(made)
    with app.app_context():
        stored = db.session.get(WebhookSubscription, made["id"])
        assert made["secret"] not in stored.secret_enc
    cancelled = client.post(f"/api/v1/marketplace/subscriptions/{made['id']}/cancel", headers=key)
    assert cancelled.status_code == 200 and "secret" not in cancelled.get_json()
    other = auth(issue(app))
    assert client.post(f"/api/v1/marketplace/subscriptions/{made['id']}/cancel", headers=other).status_code == 404
    assert client.post("/api/v1/marketplace/subscriptions", headers=key,
                       json={"proof": "x" * 22, "url": "http://127.0.0.1:9/h"}).status_code == 404


def events(app) -> list[dict]:
    with app.app_context():
        notes = db.session.scalars(select(Notification).where(Notification.channel == "webhook")
                                   .order_by(Notification.id)).all()
        return [json.loads(n.context) | {"_url": n.recipient} for n in notes]


def test_every_status_change_becomes_one_event_per_subscription(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
    sale = build_sale(app)
    proof_ids_tokens = [make_proof(app, sale, days=d) for d in (1, 30, 30)]
    subs = [subscribe(app, client, token, f"http://127.0.0.1:9/hook/{i}")
            for i, (_, token) in enumerate(proof_ids_tokens)]
    # Revoked by the owner: one event, at once, in the same transaction.
    with app.app_context():
        resale_services.revoke_proof(find_user(sale.seller), db.session.get(OwnershipProof, proof_ids_tokens[2][0]))
        db.session.commit()
    assert [(e["subscription_id"], e["event"]["status"]["proof"]["state"]) for e in events(app)] == [
        (subs[2]["id"], "revoked")]
    # A recall reaches the unit: the sweep announces it for the proofs that still hold.
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        campaign = recalls.save_draft(acme, actor="test", **GPSR_NOTICE, number="R-9", title="Crown",
                                      hazard="The crown may come loose.", criteria={"model_ids": [sale.world.model_id_a]})
        recalls.launch(campaign, remedy_available=True, actor="test")
        db.session.commit()
        assert marketplace.sweep() == 2
        db.session.commit()
        assert marketplace.sweep() == 0  # announced once
    # Time passes: the one-day proof expires.
    with app.app_context():
        assert marketplace.sweep(utcnow() + timedelta(days=2)) == 1
        db.session.commit()
    # The unit changes hands: the remaining proof says so.
    with app.app_context():
        ownership = db.session.get(Ownership, sale.ownership_id)
        _, code = ownership_services.start_transfer(find_user(sale.seller), ownership)
        ownership_services.accept_transfer(find_user(sale.buyer), code, purchased_on=date.today())
        db.session.commit()
    states = [(e["subscription_id"], e["event"]["status"]["proof"]["state"]) for e in events(app)]
    assert states == [(subs[2]["id"], "revoked"), (subs[0]["id"], "recalled"), (subs[1]["id"], "recalled"),
                      (subs[0]["id"], "expired"), (subs[0]["id"], "transferred"), (subs[1]["id"], "transferred")]
    for event in events(app):
        assert event["event"]["type"] == "proof.status_changed" and event["event"]["id"].startswith("evt_")
        assert_no_personal_data(event["event"])
        assert paths(event["event"]["status"]) <= STATUS_FIELDS
    assert len({e["event"]["id"] for e in events(app)}) == 6


def test_a_stolen_report_is_announced(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
    sale = build_sale(app)
    _, token = make_proof(app, sale)
    made = subscribe(app, client, token, "http://127.0.0.1:9/hook")
    with app.app_context():
        ownership_services.report_stolen(find_user(sale.seller), db.session.get(Ownership, sale.ownership_id),
                                         place="Quimperlé station")
        db.session.commit()
    [event] = events(app)
    assert event["subscription_id"] == made["id"] and event["event"]["status"]["proof"]["state"] == "stolen"
    assert_no_personal_data(event["event"])


# --- delivery ----------------------------------------------------------------------------------------------

class Receiver(BaseHTTPRequestHandler):
    answers: ClassVar[list[int]] = []
    received: ClassVar[list[tuple[dict, bytes]]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        status = type(self).answers.pop(0) if type(self).answers else 204
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.answers, Receiver.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_deliveries_are_signed_retried_with_backoff_and_keep_their_event_id(app, client, monkeypatch, receiver):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
    sale = build_sale(app)
    proof_id, token = make_proof(app, sale)
    made = subscribe(app, client, token, f"http://127.0.0.1:{receiver.server_port}/hooks/provenance?x=1")
    with app.app_context():
        resale_services.revoke_proof(find_user(sale.seller), db.session.get(OwnershipProof, proof_id))
        db.session.commit()
    Receiver.answers = [500]
    with app.app_context():
        assert deliver_due() == 0
        note = db.session.scalar(select(Notification).where(Notification.channel == "webhook"))
        assert note.state is DeliveryState.PENDING and note.attempts == 1 and note.next_attempt_at > utcnow()
        assert "500" in note.last_error
        db.session.execute(update(Notification).values(next_attempt_at=utcnow()))  # the backoff has passed
        db.session.commit()
        assert deliver_due() == 1
        assert db.session.get(Notification, note.id).state is DeliveryState.SENT
        db.session.remove()
    assert len(Receiver.received) == 2
    (first_headers, first_body), (headers, body) = Receiver.received
    assert first_headers["Provenance-Event-Id"] == headers["Provenance-Event-Id"] and first_body == body
    event = json.loads(body)
    assert event["id"] == headers["Provenance-Event-Id"] and event["subscription"] == made["id"]
    timestamp = headers["Provenance-Timestamp"]
    expected = hmac.new(made["secret"].encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["Provenance-Signature"] == f"v1={expected}"
    assert abs(int(timestamp) - int(utcnow().timestamp())) < 60
    assert_no_personal_data(event)


def test_a_webhook_whose_address_became_private_is_given_up(app, client, monkeypatch, receiver):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
    sale = build_sale(app)
    proof_id, token = make_proof(app, sale)
    subscribe(app, client, token, f"http://127.0.0.1:{receiver.server_port}/hook")
    with app.app_context():
        resale_services.revoke_proof(find_user(sale.seller), db.session.get(OwnershipProof, proof_id))
        db.session.commit()
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)  # production rules at delivery time
    with app.app_context():
        assert deliver_due() == 0
        note = db.session.scalar(select(Notification).where(Notification.channel == "webhook"))
        assert note.state is DeliveryState.DEAD and "cannot be sent" in note.last_error
    assert Receiver.received == []


def test_the_endpoints_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["marketplaceAuth"]["scheme"] == "bearer"
    for path, method, scope in [("/api/v1/marketplace/proofs/{token}", "get", "proofs:verify"),
                                ("/api/v1/marketplace/proofs/{token}/sale-check", "get", "proofs:verify"),
                                ("/api/v1/marketplace/credentials/verify", "post", "proofs:verify"),
                                ("/api/v1/marketplace/subscriptions", "post", "proofs:subscribe"),
                                ("/api/v1/marketplace/subscriptions/{subscription_id}/cancel", "post",
                                 "proofs:subscribe")]:
        operation = spec["paths"][path][method]
        assert operation["security"] == [{"marketplaceAuth": [scope]}]
        ok = next(code for code in operation["responses"] if code.startswith("2"))
        assert "schema" in operation["responses"][ok]["content"]["application/json"]
