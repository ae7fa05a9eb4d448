"""The console's claims desk: tenancy, roles, the state machine over HTTP, RMA, replacement, quality, mail."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.accounts.services import add_staff, find_user
from portal.catalog.models import Disposition, Manufacturer, Unit
from portal.catalog.services import create_unit
from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.core.storage import StoredFile
from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.services import deliver_due
from portal.ownership.services import current_ownership, register_unit
from portal.warranty import desk, services
from portal.warranty import queries as desk_queries
from portal.warranty.models import ClaimEntry, ClaimState, ExtendedCoverage, WarrantyClaim, WarrantyTerms
from tests.factories import PASSWORD, build_world, login

BRAVO_AGENT = "agent@bravo.test"
RECEIPT = StoredFile(key="receipt-on-file.pdf", mime="application/pdf", name="receipt.pdf", size=1200)


@pytest.fixture
def world(app):
    world = build_world(app)
    with app.app_context():
        bravo = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "bravo"))
        add_staff(bravo, BRAVO_AGENT, Role.CLAIMS_AGENT, password=PASSWORD, actor="test")
        db.session.commit()
    return world


def png(color=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), color).save(out, format="PNG")
    return out.getvalue()


def file_claim(
    app, world, unit_index: int = 0, *, category: str = "does_not_work", register: bool = True
) -> str:
    """Register acme's unit to the owner (with a receipt, so it is covered) and file a claim with a photo."""
    with app.app_context():
        owner = find_user(world.owner)
        unit = db.session.get(Unit, world.unit_ids_a[unit_index])
        if register:
            register_unit(
                owner,
                unit,
                purchased_on=date.today() - timedelta(days=60),
                retailer="Acme Boutique",
                proof=RECEIPT,
            )
        claim = services.file_claim(
            owner,
            unit,
            category=category,
            description="The second hand stopped moving.",
            started_on=date.today() - timedelta(days=2),
            photos=[(png(), "dial.png")],
        )
        db.session.commit()
        return claim.number


def the_claim(number: str) -> WarrantyClaim:
    db.session.expire_all()
    return db.session.scalar(select(WarrantyClaim).where(WarrantyClaim.number == number))


def version_of(app, number: str) -> int:
    with app.app_context():
        return the_claim(number).version


def move(client, number: str, target: str, *, version: int, **fields):
    return client.post(
        f"/console/acme/claims/{number}/move", data={"target": target, "version": version, **fields}
    )


def agent(app, world):
    client = app.test_client()
    login(client, world.staff_a["claims_agent"])
    return client


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_an_agent_of_another_tenant_sees_nothing_of_a_claim(app, world):
    number = file_claim(app, world)
    with app.app_context():
        claim = the_claim(number)
        services.move(
            claim, ClaimState.APPROVED, actor=find_user(world.staff_a["claims_agent"]), role="agent"
        )
        photo = db.session.scalar(
            select(ClaimEntry.id).where(ClaimEntry.claim_id == claim.id, ClaimEntry.kind == "photo")
        )
        db.session.commit()
    outsider = app.test_client()
    login(outsider, BRAVO_AGENT)
    assert number not in outsider.get("/console/bravo/claims").get_data(as_text=True)
    for path in (
        f"/console/acme/claims/{number}",
        f"/console/acme/claims/{number}/photos/{photo}",
        f"/console/acme/claims/{number}/rma.pdf",
        "/console/acme/claims",
    ):
        assert outsider.get(path).status_code == 404, path
    # Under its own tenant's prefix, the other tenant's claim does not exist either.
    for path in (
        f"/console/bravo/claims/{number}",
        f"/console/bravo/claims/{number}/photos/{photo}",
        f"/console/bravo/claims/{number}/rma.pdf",
    ):
        assert outsider.get(path).status_code == 404, path
    assert (
        outsider.post(
            f"/console/bravo/claims/{number}/move", data={"target": "in_repair", "version": 2}
        ).status_code
        == 404
    )
    own = agent(app, world)
    assert own.get(f"/console/acme/claims/{number}/photos/{photo}").mimetype == "image/png"


def test_a_claims_agent_takes_a_claim_from_review_to_closed(app, world):
    number = file_claim(app, world)
    client = agent(app, world)
    queue = client.get("/console/acme/claims").get_data(as_text=True)
    assert f"/console/acme/claims/{number}" in queue

    page = client.get(f"/console/acme/claims/{number}").get_data(as_text=True)
    assert "ACME-0001" in page and "Covered" in page and "Olivia Owner" in page and "dial.png" in page
    assert move(client, number, "in_review", version=version_of(app, number)).status_code == 303

    refused = move(client, number, "info_requested", version=version_of(app, number))
    assert refused.status_code == 422 and "Add a note" in refused.get_data(as_text=True)
    asked = move(
        client, number, "info_requested", version=version_of(app, number), note="Which day did it stop?"
    )
    assert asked.status_code == 303

    with app.app_context():
        services.move(
            the_claim(number),
            ClaimState.IN_REVIEW,
            actor=find_user(world.owner),
            role="owner",
            note="On Tuesday morning.",
        )
        db.session.commit()
    assert "On Tuesday morning." in client.get(f"/console/acme/claims/{number}").get_data(as_text=True)

    assert move(client, number, "approved", version=version_of(app, number), template="0").status_code == 303
    with app.app_context():
        claim = the_claim(number)
        rma_number, serial = claim.rma_number, claim.unit.serial
        assert rma_number and claim.decided_at is not None
        note = db.session.scalar(
            select(ClaimEntry.body).where(ClaimEntry.claim_id == claim.id, ClaimEntry.to_state == "approved")
        )
        assert note == desk.REASONS[ClaimState.APPROVED][0]  # the canned reason stood in for the empty note
    pdf = client.get(f"/console/acme/claims/{number}/rma.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert rma_number in text and serial in text

    for target in ("in_repair", "repaired", "closed"):
        assert move(client, number, target, version=version_of(app, number)).status_code == 303, target
    with app.app_context():
        claim = the_claim(number)
        assert claim.state is ClaimState.CLOSED
        states = db.session.scalars(
            select(ClaimEntry.to_state)
            .where(ClaimEntry.claim_id == claim.id, ClaimEntry.kind == "state")
            .order_by(ClaimEntry.id)
        ).all()
        assert states == [
            "submitted",
            "in_review",
            "info_requested",
            "in_review",
            "approved",
            "in_repair",
            "repaired",
            "closed",
        ]
        assert claim.unit.status is Disposition.RETAIL_SOLD  # back with its owner after the repair
    closed = client.get(f"/console/acme/claims/{number}").get_data(as_text=True)
    assert "Nothing left to decide" in closed


@pytest.mark.parametrize("role", ["analyst", "recall_manager"])
def test_analysts_and_recall_managers_look_but_do_not_decide(app, world, role):
    number = file_claim(app, world)
    client = app.test_client()
    login(client, world.staff_a[role])
    page = client.get(f"/console/acme/claims/{number}")
    assert page.status_code == 200 and "Only claims agents and admins decide" in page.get_data(as_text=True)
    assert client.get("/console/acme/claims").status_code == 200
    assert move(client, number, "in_review", version=version_of(app, number)).status_code == 403
    assert client.post(f"/console/acme/claims/{number}/messages", data={"body": "Hello"}).status_code == 403
    with app.app_context():
        assert the_claim(number).state is ClaimState.SUBMITTED


def test_an_illegal_transition_is_refused_with_409_and_changes_nothing(app, world):
    number = file_claim(app, world)
    client = agent(app, world)
    before = version_of(app, number)
    response = move(client, number, "repaired", version=before, note="Skipping ahead")
    assert response.status_code == 409 and "cannot become repaired" in response.get_data(as_text=True)
    with app.app_context():
        claim = the_claim(number)
        assert claim.state is ClaimState.SUBMITTED and claim.version == before
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(ClaimEntry)
                .where(ClaimEntry.claim_id == claim.id, ClaimEntry.kind == "state")
            )
            == 1
        )


def test_an_owners_move_is_not_the_desks_to_make(app, world):
    number = file_claim(app, world)
    client = agent(app, world)
    assert move(client, number, "in_review", version=version_of(app, number)).status_code == 303
    assert move(client, number, "withdrawn", version=version_of(app, number)).status_code == 403


def test_a_stale_version_is_refused_with_409_and_changes_nothing(app, world):
    number = file_claim(app, world)
    first, second = agent(app, world), agent(app, world)
    seen = version_of(app, number)  # both agents opened the claim at this version
    assert move(first, number, "in_review", version=seen).status_code == 303
    late = move(second, number, "rejected", version=seen, note="Not covered")
    assert late.status_code == 409 and "Someone else changed this claim" in late.get_data(as_text=True)
    with app.app_context():
        claim = the_claim(number)
        assert claim.state is ClaimState.IN_REVIEW and claim.version == seen + 1


def test_a_replacement_moves_the_ownership_to_a_fresh_unit_of_the_same_model(app, world):
    number = file_claim(app, world)
    client = agent(app, world)
    assert (
        move(client, number, "approved", version=version_of(app, number), note="Replace it").status_code
        == 303
    )
    missing = move(client, number, "replaced", version=version_of(app, number))
    assert missing.status_code == 422 and "serial of the replacement" in missing.get_data(as_text=True)
    unknown = move(client, number, "replaced", version=version_of(app, number), replacement_serial="NOPE-1")
    assert unknown.status_code == 422
    fresh = world.serials_a[1]
    assert (
        move(
            client, number, "replaced", version=version_of(app, number), replacement_serial=fresh
        ).status_code
        == 303
    )
    with app.app_context():
        claim = the_claim(number)
        old, new = claim.unit, db.session.get(Unit, world.unit_ids_a[1])
        assert claim.state is ClaimState.REPLACED and claim.replacement_unit_id == new.id
        assert new.replaces_id == old.id
        assert current_ownership(old) is None
        assert current_ownership(new).owner.email == world.owner
        assert old.status is Disposition.INACTIVE
    page = client.get(f"/console/acme/claims/{number}").get_data(as_text=True)
    assert "Replaced by" in page


def test_agents_write_to_the_owner_and_empty_messages_are_refused(app, world):
    number = file_claim(app, world)
    client = agent(app, world)
    assert client.post(f"/console/acme/claims/{number}/messages", data={"body": "  "}).status_code == 422
    sent = client.post(f"/console/acme/claims/{number}/messages", data={"body": "Is the crown screwed down?"})
    assert sent.status_code == 303
    with app.app_context():
        claim = the_claim(number)
        assert (
            db.session.scalar(
                select(ClaimEntry.body).where(ClaimEntry.claim_id == claim.id, ClaimEntry.kind == "message")
            )
            == "Is the crown screwed down?"
        )
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.recipient == world.owner, Notification.subject.contains("a message"))
            )
            == 1
        )


def test_state_changes_reach_the_owner_through_the_outbox(app, world, mailbox):
    number = file_claim(app, world)
    client = agent(app, world)
    move(client, number, "in_review", version=version_of(app, number))  # quiet: no mail for starting a review
    move(client, number, "info_requested", version=version_of(app, number), template="1")
    with app.app_context():
        subjects = db.session.scalars(
            select(Notification.subject)
            .where(Notification.recipient == world.owner)
            .order_by(Notification.id)
        ).all()
        assert subjects == [f"Claim {number}: submitted", f"Claim {number}: information requested"]
        deliver_due()
    mail = mailbox.last_to(world.owner)
    assert mail["Subject"] == f"Claim {number}: information requested"
    assert str(desk.REASONS[ClaimState.INFO_REQUESTED][1]) in mail.get_body(("plain",)).get_content()


def test_the_queue_filters_pages_by_keyset_and_marks_claims_over_the_target(app, world, monkeypatch):
    numbers = [
        file_claim(app, world, 0, category="does_not_work"),
        file_claim(app, world, 0, category="battery", register=False),
        file_claim(app, world, 1, category="cosmetic"),
    ]
    with app.app_context():  # the first claim was filed two weeks ago and nobody has answered since
        old = the_claim(numbers[0])
        weeks_ago = utcnow() - timedelta(days=14)
        old.created_at = weeks_ago
        for entry in db.session.scalars(select(ClaimEntry).where(ClaimEntry.claim_id == old.id)):
            entry.at = weeks_ago
        db.session.commit()
    client = agent(app, world)
    monkeypatch.setattr(desk_queries, "PAGE", 2)
    first = client.get("/console/acme/claims").get_data(as_text=True)
    assert first.index(numbers[0]) < first.index(numbers[1]) and numbers[2] not in first
    assert 'class="overdue"' in first and "Over target" in first
    nxt = first.split('href="/console/acme/claims?after=')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(f"/console/acme/claims?after={nxt}").get_data(as_text=True)
    assert numbers[2] in second and numbers[0] not in second and "Next page" not in second

    monkeypatch.setattr(desk_queries, "PAGE", 50)
    aged = client.get("/console/acme/claims?age=7").get_data(as_text=True)
    assert numbers[0] in aged and numbers[1] not in aged
    by_state = client.get("/console/acme/claims?state=in_review").get_data(as_text=True)
    assert "No claims match" in by_state
    assert "No claims match" in client.get("/console/acme/claims?lot=NOPE").get_data(as_text=True)
    assert numbers[2] in client.get("/console/acme/claims?lot=L1&covered=yes").get_data(as_text=True)
    assert "No claims match" in client.get("/console/acme/claims?covered=no").get_data(as_text=True)


def test_the_quality_page_flags_a_lot_whose_claim_rate_stands_out(app, world):
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        for n in range(1, 21):  # a healthy second lot: many units, no claims
            create_unit(acme, gtin=world.gtin_a, serial=f"ACME-L2-{n:03d}", lot="L2", actor="test")
        db.session.commit()
    for i in range(3):  # every unit of lot L1 comes back
        file_claim(app, world, i)
    client = app.test_client()
    login(client, world.staff_a["analyst"])
    page = client.get("/console/acme/quality").get_data(as_text=True)
    assert 'Lot <span class="mono">L1</span></strong> of Acme One' in page
    assert "Start a recall for this lot" not in page  # analysts cannot start recalls
    manager = app.test_client()
    login(manager, world.staff_a["recall_manager"])
    page = manager.get("/console/acme/quality").get_data(as_text=True)
    assert "Start a recall for this lot" in page and "/console/acme/recalls/new?lots=L1" in page
    rows = manager.get("/console/acme/quality.csv").get_data(as_text=True).splitlines()
    assert any(r.startswith("lot,Acme One,") and ",L1," in r and r.endswith(",yes") for r in rows)
    assert any(r.startswith("lot,Acme One,") and ",L2," in r and r.endswith(",no") for r in rows)


def test_admins_edit_warranty_terms_and_extend_a_units_coverage(app, world):
    number = file_claim(app, world)
    agent_client = agent(app, world)
    path = f"/console/acme/models/{world.model_id_a}/warranty"
    assert agent_client.get(path).status_code == 403
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    assert admin.get(path).status_code == 200
    refused = admin.post(
        path, data={"clock_start": "registration", "grace_days": "30", "replacement_rule": "fresh"}
    )
    assert refused.status_code == 400 and "Tick at least one" in refused.get_data(as_text=True)
    saved = admin.post(
        path,
        data={
            "clock_start": "registration",
            "grace_days": "30",
            "replacement_rule": "fresh",
            "scope": ["parts"],
        },
    )
    assert saved.status_code == 303
    with app.app_context():
        terms = db.session.scalar(select(WarrantyTerms).where(WarrantyTerms.model_id == world.model_id_a))
        assert (terms.clock_start.value, terms.grace_days, terms.survives_transfer, terms.scope) == (
            "registration",
            30,
            False,
            "parts",
        )
        assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "warranty_terms.saved"))

    claim_page = admin.get(f"/console/acme/claims/{number}").get_data(as_text=True)
    assert (
        claim_page.count('name="claim"') == 1 and f'name="claim" type="hidden" value="{number}"' in claim_page
    )
    unit_path = f"/console/acme/units/{world.unit_ids_a[0]}/extensions"
    assert agent_client.post(unit_path, data={"starts_on": "2030-01-01", "months": "12"}).status_code == 403
    bad = admin.post(
        unit_path, data={"starts_on": "2030-01-01", "months": "0", "scope": ["accidental"], "claim": number}
    )
    assert bad.status_code == 422
    added = admin.post(
        unit_path,
        data={
            "starts_on": "2030-01-01",
            "months": "12",
            "scope": ["accidental"],
            "note": "Goodwill",
            "claim": number,
        },
    )
    assert added.status_code == 303 and added.headers["Location"].endswith(f"/claims/{number}")
    with app.app_context():
        ext = db.session.scalar(
            select(ExtendedCoverage).where(ExtendedCoverage.unit_id == world.unit_ids_a[0])
        )
        assert (ext.months, ext.scope, ext.note) == (12, "accidental", "Goodwill")
        assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "coverage.extended"))
    assert "Goodwill: 1 Jan 2030" in admin.get(f"/console/acme/claims/{number}").get_data(as_text=True)
