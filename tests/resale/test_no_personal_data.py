"""A proof says nothing about who the owner is: not in its page, its JSON status or its credential. The seller
is seeded with a distinctive name, e-mail, shop and receipt, and a stolen report names a place; each answer is
checked field by field against what it may hold, and searched for every one of those strings."""
from __future__ import annotations

import base64
import json
import re

import pytest

from portal.accounts.services import find_user
from portal.extensions import db
from portal.ownership.models import Ownership
from tests.factories import login
from tests.support.resale import PERSONAL, SELLER_NAME, STOLEN_PLACE, add_service, build_sale, make_proof

#: Every member a proof's JSON status may have, and nothing else.
STATUS_FIELDS = {
    "proof": {"reference", "url", "state", "holds", "verdict", "issuedAt", "expiresAt", "endedAt"},
    "product": {"gtin", "name", "manufacturer", "serial", "serialMasked", "manufactured"},
    "registeredToPresenterSince": None, "reportedStolen": None, "recalls": None, "warrantyOnTransfer": None,
    "serviceHistory": None, "transferOffered": None,
}
#: Every member of the credential and of its subject.
VC_FIELDS = {"@context", "id", "type", "issuer", "validFrom", "validUntil", "credentialStatus", "credentialSubject"}
SUBJECT_FIELDS = {"type", "genuine", "product", "registeredToPresenterSince", "reportedStolen", "recalls",
                  "warrantyOnTransfer"}
PRODUCT_FIELDS = {"gtin", "name", "manufacturer", "serial", "serialMasked", "manufactured"}


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def _assert_nothing_personal(texts: list[str], ids: list[int]) -> None:
    blob = "\n".join(texts).lower()
    for needle in [*PERSONAL, SELLER_NAME, STOLEN_PLACE]:
        assert needle.lower() not in blob, needle
    for text in texts:  # no account or ownership id as a value of its own
        assert text not in {str(i) for i in ids}, text


@pytest.fixture
def seeded(app):
    sale = build_sale(app)
    add_service(app, sale)  # its notes name the seller: they must stay out of every proof
    proof_id, token = make_proof(app, sale, serial_shown="full", include_service=True)
    with app.app_context():
        ids = [find_user(sale.seller).id, sale.ownership_id, db.session.get(Ownership, sale.ownership_id).owner_id]
    return sale, proof_id, token, ids


def test_status_json_holds_only_its_fields_and_nothing_personal(client, seeded):
    _, _, token, ids = seeded
    doc = client.get(f"/proof/{token}/status").json
    assert set(doc) == set(STATUS_FIELDS)
    for member, fields in STATUS_FIELDS.items():
        if fields:
            assert set(doc[member]) == fields, member
    assert doc["registeredToPresenterSince"] == "2025-05"  # a month, never a day or a time
    for entry in doc["recalls"]:
        assert set(entry) == {"number", "title", "open"}
    assert set(doc["warrantyOnTransfer"]) == {"carries", "until", "scopes"}
    assert [set(e) for e in doc["serviceHistory"]] == [{"date", "kind", "centre", "partSerial", "source"}]
    _assert_nothing_personal(_strings(doc), ids)


def test_credential_holds_only_its_fields_and_nothing_personal(client, seeded):
    _, _, token, ids = seeded
    jwt = client.get(f"/proof/{token}/credential").get_data(as_text=True)
    header, payload, _sig = jwt.split(".")
    decoded = [json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in (header, payload)]
    vc = decoded[1]
    assert set(vc) == VC_FIELDS and set(vc["issuer"]) == {"id", "name"}
    subject = vc["credentialSubject"]
    assert set(subject) - {"serviceHistory"} == SUBJECT_FIELDS  # the service history only when chosen and known
    assert set(subject["product"]) == PRODUCT_FIELDS
    assert [(e["kind"], e["centre"], e["partSerial"]) for e in subject["serviceHistory"]] == [
        ("part_replaced", "Atelier Genève", "CROWN-77")]
    for entry in subject["serviceHistory"]:
        assert set(entry) == {"date", "kind", "centre", "partSerial", "source"}
    assert set(decoded[0]) == {"alg", "typ", "cty", "kid"}
    _assert_nothing_personal(_strings(decoded), ids)


def test_proof_page_shows_nothing_personal_in_any_state(app, client, seeded):
    sale, proof_id, token, ids = seeded
    pages = [client.get(f"/proof/{token}").text]
    assert "CROWN-77" in pages[0] and "Atelier Genève" in pages[0]  # the service history, as chosen
    seller = app.test_client()
    login(seller, sale.seller)
    seller.post(f"/my/proofs/{proof_id}/offer")
    pages.append(client.get(f"/proof/{token}").text)  # with the transfer offered
    seller.post(f"/my/units/{sale.ownership_id}/stolen", data={"place": STOLEN_PLACE, "note": "Taken from my bag"})
    pages.append(client.get(f"/proof/{token}").text)  # reported stolen, with a place
    for html in pages:
        main = re.search(r"<main.*?</main>", html, re.DOTALL).group(0)
        _assert_nothing_personal([main, *re.findall(r'(?:href|src|action|value)="([^"]*)"', main)], ids)
        assert f"/my/units/{sale.ownership_id}" not in html and "Taken from my bag" not in html
    assert client.get(f"/proof/{token}/status").json["reportedStolen"] is True
