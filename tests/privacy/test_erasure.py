"""Delete my account: the person is erased everywhere, the units' history and recall figures stay."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.catalog.models import UnitEvent
from portal.core.audit import AuditEntry, verify_chain
from portal.extensions import db
from portal.notifications.models import Notification
from portal.ownership.models import Ownership, TransferOffer
from portal.recalls import services as recalls
from portal.recalls.models import RecallCampaign, RecallNotice, RecallUnit
from portal.recalls.reports import unit_rows
from portal.warranty import services as warranty
from portal.warranty.models import ClaimEntry, WarrantyClaim
from tests.factories import PASSWORD, login
from tests.support.forms import shown
from tests.support.privacy import DISPUTE, OWNER_MESSAGE, STOLEN_PLACE

OLD_NAME = "Olivia Owner"
PERSONAL = ("owner@example.test", OLD_NAME, STOLEN_PLACE, OWNER_MESSAGE, DISPUTE, "Taken from my car", "receipt.jpg",
            "invoice.pdf", "front.jpg")


def delete_account(client, password=PASSWORD, confirm=True):
    data = {"password": password}
    if confirm:
        data["confirm"] = "y"
    return client.post("/my/account/delete", data=data)


def dump(exclude=("audit_entries",)) -> dict[str, list[tuple]]:
    """Every row of every table, as text: what a query of the database after deletion would find."""
    out = {}
    for table in db.metadata.sorted_tables:
        if table.name in exclude:
            continue
        out[table.name] = sorted(tuple(str(v) for v in row) for row in db.session.execute(select(table)))
    return out


def files(app) -> set[str]:
    return {p.name for p in Path(app.config["UPLOAD_FOLDER"]).iterdir()}


def keys_of(owner_id: int) -> set[str]:
    keys = set(db.session.scalars(select(Ownership.proof_key).where(Ownership.owner_id == owner_id,
                                                                   Ownership.proof_key.is_not(None))))
    keys |= set(db.session.scalars(select(ClaimEntry.file_key).join(WarrantyClaim).where(
        WarrantyClaim.owner_id == owner_id, ClaimEntry.file_key.is_not(None))))
    return keys


def figures(campaign_id: int) -> dict:
    campaign = db.session.get(RecallCampaign, campaign_id)
    numbers = recalls.completion(campaign)
    numbers.pop("reachable")  # who can still be mailed: an erased owner cannot, by design
    return numbers


def test_deletion_erases_every_personal_field_and_file(app, client, estate):
    with app.app_context():
        own_keys = keys_of(estate.owner_id)
        before = "\n".join(v for table in dump().values() for row in table for v in row)
    assert len(own_keys) == 4 and own_keys <= files(app)
    for personal in PERSONAL:  # each is really stored before, so its absence after means it was erased
        assert personal in before, personal
    login(client, estate.world.owner)

    response = delete_account(client)

    assert response.status_code == 302
    with app.app_context():
        rows = dump()
        every_value = "\n".join(v for table in rows.values() for row in table for v in row)
        for personal in PERSONAL:
            assert personal not in every_value, personal
        user = db.session.get(User, estate.owner_id)
        assert user.email == f"erased-{user.id}@erased.invalid" and user.name == "" and user.erased_at
        assert user.email_verified_at is None and not user.check_password(PASSWORD)
        assert db.session.scalar(select(func.count()).select_from(Ownership).where(
            Ownership.owner_id == user.id, Ownership.proof_key.is_not(None))) == 0
        assert db.session.scalar(select(func.count()).select_from(ClaimEntry).join(WarrantyClaim).where(
            WarrantyClaim.owner_id == user.id, ClaimEntry.kind == "photo")) == 0
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.state == "pending")) == 0
        assert db.session.scalar(select(TransferOffer.state)).value == "cancelled"
    assert not own_keys & files(app)


def test_deletion_keeps_unit_history_claims_and_recall_figures(app, client, estate):
    with app.app_context():
        events_before = {uid: db.session.scalar(select(func.count()).select_from(UnitEvent)
                                                .where(UnitEvent.unit_id == uid)) for uid in estate.unit_ids}
        figures_before = figures(estate.campaign_id)
        notices_before = db.session.scalar(select(func.count()).select_from(RecallNotice))
    login(client, estate.world.owner)
    assert delete_account(client).status_code == 302

    with app.app_context():
        ended = db.session.scalars(select(Ownership).where(Ownership.owner_id == estate.owner_id)).all()
        assert len(ended) == 2 and all(o.until is not None and o.ended_reason == "erased" for o in ended)
        for uid in estate.unit_ids[:2]:  # the owner's units: one event more ("the owner deleted their account")
            events = db.session.scalar(select(func.count()).select_from(UnitEvent).where(UnitEvent.unit_id == uid))
            assert events == events_before[uid] + 1
        assert figures(estate.campaign_id) == figures_before
        assert db.session.scalar(select(func.count()).select_from(RecallNotice)) == notices_before
        erased_unit = db.session.scalar(select(RecallUnit).where(RecallUnit.unit_id == estate.unit_ids[0]))
        assert erased_unit.owner_erased_at is not None and erased_unit.acknowledged_at is not None
        report = {row[1]: row[3] for row in list(unit_rows(db.session.get(RecallCampaign, estate.campaign_id)))[1:]}
        assert report == {"ACME-0001": "erased", "ACME-0002": "erased", "ACME-0003": "yes"}
        claim = db.session.scalar(select(WarrantyClaim).where(WarrantyClaim.number == estate.claim_number))
        assert claim.description.startswith("The crown came off") and claim.photo_count == 0
        # The chain holds, and the new entry names the account by id only.
        assert verify_chain().ok
        entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert entry.action == "account.erased" and entry.target_id == str(estate.owner_id)
        assert estate.world.owner not in entry.canonical().decode() and OLD_NAME not in entry.canonical().decode()


def test_after_deletion_the_owner_is_signed_out_and_cannot_sign_in(app, client, estate):
    login(client, estate.world.owner)
    delete_account(client)
    assert client.get("/my").status_code == 302  # the session is gone
    again = shown(client, client.post("/signin", data={"email": estate.world.owner, "password": PASSWORD}))
    assert again.status_code == 400
    with app.app_context():
        tombstone = db.session.get(User, estate.owner_id).email
    assert shown(client, client.post("/signin", data={"email": tombstone, "password": PASSWORD})).status_code == 400


def test_staff_see_a_former_owner_instead_of_a_name(app, client, estate):
    login(client, estate.world.owner)
    delete_account(client)
    login(client, estate.world.staff_a["admin"])
    page = client.get(f"/console/acme/units/{estate.unit_ids[0]}").get_data(as_text=True)
    assert "Former owner (erased)" in page and OLD_NAME not in page and "erased.invalid" not in page
    claims = client.get("/console/acme/claims").get_data(as_text=True)
    assert "Former owner (erased)" in claims and OLD_NAME not in claims
    audit = client.get("/console/acme/audit").get_data(as_text=True)  # the entries keep the label; the page does not
    assert "Former owner (erased)" in audit and estate.world.owner not in audit


def test_another_owners_data_is_untouched(app, client, estate):
    def theirs():
        rows = {}
        for table in db.metadata.sorted_tables:
            cols = [c for c in ("owner_id", "user_id", "claimant_id") if c in table.c]
            if cols:
                rows[table.name] = sorted(tuple(map(str, r)) for r in db.session.execute(
                    select(table).where(table.c[cols[0]] == estate.other_id)))
        claim_ids = select(WarrantyClaim.id).where(WarrantyClaim.owner_id == estate.other_id)
        rows["claim_entries"] = sorted(tuple(map(str, r)) for r in db.session.execute(
            select(ClaimEntry.__table__).where(ClaimEntry.claim_id.in_(claim_ids))))
        rows["users"] = [tuple(map(str, db.session.execute(select(User.__table__).where(
            User.id == estate.other_id)).one()))]
        return rows, keys_of(estate.other_id)

    with app.app_context():
        before, their_keys = theirs()
    login(client, estate.world.owner)
    delete_account(client)
    with app.app_context():
        assert theirs() == (before, their_keys)
    assert their_keys <= files(app)


def test_wrong_password_or_no_confirmation_changes_nothing(app, client, estate):
    with app.app_context():
        before = dump(exclude=())
    present = files(app)
    login(client, estate.world.owner)
    with app.app_context():
        before = dump(exclude=())  # sign-in itself touched the failure counter; compare from here

    wrong = delete_account(client, password="not my password")
    assert wrong.status_code == 422 and "password is wrong" in wrong.get_data(as_text=True)
    unconfirmed = delete_account(client, confirm=False)
    assert unconfirmed.status_code == 400 and "Tick the box" in unconfirmed.get_data(as_text=True)

    with app.app_context():
        assert dump(exclude=()) == before
    assert files(app) == present
    assert client.get("/my").status_code == 200  # still signed in


def test_staff_cannot_delete_their_account_while_on_a_team(app, client, estate):
    login(client, estate.world.staff_a["claims_agent"])
    with app.app_context():
        before = dump(exclude=())
    response = delete_account(client)
    assert response.status_code == 403
    assert "Ask a tenant admin to remove you from the team" in response.get_data(as_text=True)
    with app.app_context():
        assert dump(exclude=()) == before


def test_deletion_form_needs_the_csrf_token(app, estate):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        login_page = client.get("/signin")  # noqa: F841 - a session for the token
        client.post("/signin", data={"email": estate.world.owner, "password": PASSWORD})
        response = client.post("/my/account/delete", data={"password": PASSWORD, "confirm": "y"})
        assert response.status_code == 400
        with app.app_context():
            assert db.session.get(User, estate.owner_id).erased_at is None
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_account_page_offers_download_and_deletion(client, estate):
    login(client, estate.world.owner)
    page = client.get("/my/account").get_data(as_text=True)
    assert "/my/account/export.zip" in page and 'action="/my/account/delete"' in page
    assert 'name="csrf_token"' in page


def test_after_deletion_nothing_more_is_mailed_and_the_address_is_free_again(app, client, estate):
    login(client, estate.world.owner)
    delete_account(client)
    with app.app_context():
        claim = db.session.scalar(select(WarrantyClaim).where(WarrantyClaim.number == estate.claim_number))
        agent = db.session.scalar(select(User).where(User.email == estate.world.staff_a["claims_agent"]))
        before = db.session.scalar(select(func.count()).select_from(Notification))
        warranty.add_message(claim, agent, "agent", "We received the watch.")
        warranty.move(claim, "in_review", actor=agent, role="agent")
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Notification)) == before
    again = client.post("/signup", data={"email": estate.world.owner, "password": PASSWORD, "name": ""})
    assert again.status_code == 302  # a new, separate account: nothing of the old one comes back
    with app.app_context():
        fresh = db.session.scalar(select(User).where(User.email == estate.world.owner))
        assert fresh.id != estate.owner_id
        assert db.session.scalar(select(func.count()).select_from(Ownership).where(Ownership.owner_id == fresh.id)) == 0
