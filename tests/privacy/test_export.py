"""Download my data: a ZIP with data.json and the owner's files, and nothing of anyone else."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from sqlalchemy import select

from portal.extensions import db
from portal.ownership.models import Ownership
from portal.warranty.models import ClaimEntry, WarrantyClaim
from tests.factories import login
from tests.support.privacy import DISPUTE, OWNER_MESSAGE, STOLEN_PLACE
from tests.support.resale import build_sale, make_proof


def download(client) -> zipfile.ZipFile:
    response = client.get("/my/account/export.zip")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_export_holds_every_item_of_the_owner_and_their_files(app, client, estate):
    login(client, estate.world.owner)
    archive = download(client)
    data = json.loads(archive.read("data.json"))

    assert data["profile"]["email"] == estate.world.owner and data["profile"]["name"] == "Olivia Owner"
    assert {r["unit"]["serial"] for r in data["registrations"]} == {"ACME-0001", "ACME-0002"}
    assert {r["retailer"] for r in data["registrations"]} == {"Acme Boutique", "Watch Corner"}
    assert [t["role"] for t in data["transfers"]] == ["seller"]
    assert data["stolen_reports"][0]["place"] == STOLEN_PLACE
    assert data["disputes"][0]["message"] == DISPUTE
    [claim] = data["claims"]
    assert claim["number"] == estate.claim_number and len(claim["photos"]) == 2
    bodies = [entry["body"] for entry in claim["timeline"]]
    assert OWNER_MESSAGE in bodies and "Please send the watch to us." in bodies
    assert {n["campaign"] for n in data["recall_notices"]} == {"R-7"}
    assert data["recall_acknowledgements"][0]["chosen_option"] == "Dealer"
    assert data["counterfeit_reports"][0]["where_seen"] == "Market"
    assert {n["state"] for n in data["notifications"]} >= {"sent", "pending"}
    assert "sessions" in data and data["audit_entries_by_you"]

    # Every attachment is in the ZIP, byte for byte what storage holds.
    folder = Path(app.config["UPLOAD_FOLDER"])
    with app.app_context():
        keys = set(db.session.scalars(select(Ownership.proof_key).where(Ownership.owner_id == estate.owner_id)))
        keys |= set(db.session.scalars(select(ClaimEntry.file_key).join(WarrantyClaim)
                                       .where(WarrantyClaim.owner_id == estate.owner_id,
                                              ClaimEntry.file_key.is_not(None))))
    files = [n for n in archive.namelist() if n.startswith("files/")]
    assert len(files) == len(keys) == 4
    assert sorted(archive.read(n) for n in files) == sorted((folder / k).read_bytes() for k in keys)
    assert any(n.startswith("files/proofs/") and n.endswith(".pdf") for n in files)


def test_export_holds_nothing_of_another_owner(app, client, estate):
    login(client, estate.world.owner)
    archive = download(client)
    everything = b"".join(archive.read(n) for n in archive.namelist())
    for foreign in (estate.world.other_owner.encode(), b"Otto Other", b"ACME-0003", b"scratch",
                    estate.other_claim_number.encode(), b"claims_agent@acme.test"):
        assert foreign not in everything
    folder = Path(app.config["UPLOAD_FOLDER"])
    with app.app_context():
        other_keys = set(db.session.scalars(select(Ownership.proof_key).where(Ownership.owner_id == estate.other_id)))
    other_bytes = {(folder / k).read_bytes() for k in other_keys}
    assert not other_bytes & {archive.read(n) for n in archive.namelist()}


def test_export_needs_a_signed_in_owner(client, estate):
    response = client.get("/my/account/export.zip")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_export_lists_the_owners_proofs_for_listings_without_their_links(app):
    sale = build_sale(app)
    _proof_id, token = make_proof(app, sale, days=14, serial_shown="full")
    client = app.test_client()
    login(client, sale.seller)
    archive = download(client)
    [proof] = json.loads(archive.read("data.json"))["ownership_proofs"]
    assert proof["serial_shown"] == "full" and proof["revoked_at"] is None and proof["unit"]["serial"] == "ACME-0001"
    assert token.encode() not in b"".join(archive.read(n) for n in archive.namelist())
