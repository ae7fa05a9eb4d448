"""Service history: only the manufacturer's granted service partners (and its admins) record services, from the
console and the API; uploads are checked like proofs of purchase; the owner sees the entries on their unit
page, with warranty repairs; `history_for_unit` carries no personal data."""
from __future__ import annotations

import base64
import dataclasses
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject
from sqlalchemy import func, select

from portal.accounts.models import StaffMembership
from portal.accounts.services import add_staff, find_user, remove_staff
from portal.api.tokens import issue_token
from portal.catalog.models import Manufacturer, Unit
from portal.core.db import utcnow
from portal.core.errors import Invalid, NotAllowed
from portal.extensions import db
from portal.ownership import services as ownership
from portal.ownership.models import Ownership
from portal.servicing import queries
from portal.servicing.models import ServiceEntry
from portal.servicing.services import record_service
from portal.warranty import services as warranty
from tests.factories import PASSWORD, build_world, login

PARTNER = "service_partner@acme.test"  # build_world makes one staff member of every role


@pytest.fixture
def world(app):
    return build_world(app)


def clean_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def scripted_pdf() -> bytes:
    """A PDF that runs JavaScript when opened."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hello');")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def photo_with_location() -> bytes:
    image = Image.new("RGB", (64, 48), (30, 30, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (46.0, 12.0, 0.0), 3: "E", 4: (6.0, 8.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def form(world, **extra) -> dict:
    return {"gtin": world.gtin_a, "serial": world.serials_a[0], "performed_on": "2026-03-02", "kind": "service",
            "centre": "Atelier Genève", "notes": "Full service, water-resistance tested.", **extra}


def entries(app) -> list[ServiceEntry]:
    with app.app_context():
        return list(db.session.scalars(select(ServiceEntry).order_by(ServiceEntry.id)))


def uploads(app) -> set[str]:
    return {p.name for p in Path(app.config["UPLOAD_FOLDER"]).glob("*")}


def post_service(client, world, **extra):
    return client.post("/console/acme/services", data=form(world, **extra), content_type="multipart/form-data")


# --- who may record ---------------------------------------------------------------------------------------

def test_a_granted_partner_records_a_service_with_a_report_from_the_console(app, client, world):
    login(client, PARTNER)
    answer = post_service(client, world, document=(io.BytesIO(clean_pdf()), "report.pdf"))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    [entry] = entries(app)
    assert (entry.kind.value, entry.centre, entry.performed_on) == ("service", "Atelier Genève", date(2026, 3, 2))
    assert entry.document_mime == "application/pdf" and entry.recorded_via.value == "console"
    page = client.get("/console/acme/services").get_data(as_text=True)
    assert "Atelier Genève" in page and "report.pdf" in page
    document = client.get(f"/console/acme/services/{entry.id}/document")
    assert document.status_code == 200 and document.data.startswith(b"%PDF-")


def test_the_admin_grants_the_role_on_the_team_page_and_the_new_partner_records(app, client, world):
    login(client, world.staff_a["admin"])
    added = client.post("/console/acme/team", data={"email": "workshop@example.test", "role": "service_partner",
                                                     "password": PASSWORD})
    assert added.status_code == 302
    partner = app.test_client()
    login(partner, "workshop@example.test")
    assert post_service(partner, world).status_code == 302
    assert len(entries(app)) == 1


@pytest.mark.parametrize("who", ["claims_agent@acme.test", "recall_manager@acme.test", "analyst@acme.test"])
def test_unrelated_staff_roles_are_refused(app, client, world, who):
    login(client, who)
    assert post_service(client, world).status_code == 403
    assert entries(app) == []


def test_another_tenants_partner_cannot_record_on_acme_units(app, client, world):
    with app.app_context():
        bravo = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "bravo"))
        add_staff(bravo, "bike-workshop@bravo.test", "service_partner", password=PASSWORD, actor="test")
        db.session.commit()
    login(client, "bike-workshop@bravo.test")
    assert post_service(client, world).status_code == 404  # acme's console does not exist for them
    # In their own console, an acme unit is as unknown as a missing one.
    answer = client.post("/console/bravo/services", data=form(world), content_type="multipart/form-data")
    assert answer.status_code == 404 and "is known to Provenance" in answer.get_data(as_text=True)
    with app.app_context():
        partner = find_user("bike-workshop@bravo.test")
        with pytest.raises(NotAllowed):
            record_service(db.session.get(Unit, world.unit_ids_a[0]), actor=partner, performed_on=date(2026, 3, 2),
                           kind="service", centre="Bike shop")
        db.session.rollback()
    assert entries(app) == []


def test_a_plain_owner_cannot_record(app, client, world):
    login(client, world.owner)
    assert post_service(client, world).status_code == 404
    with app.app_context(), pytest.raises(NotAllowed):
        record_service(db.session.get(Unit, world.unit_ids_a[0]), actor=find_user(world.owner),
                       performed_on=date(2026, 3, 2), kind="service", centre="My kitchen")
    assert entries(app) == []


def test_a_removed_partner_is_refused_at_once_in_the_console_and_the_api(app, client, world):
    token = partner_token(app)
    login(client, PARTNER)
    with app.app_context():
        membership = db.session.scalar(select(StaffMembership).join(StaffMembership.user)
                                       .where(StaffMembership.user_id == find_user(PARTNER).id))
        remove_staff(membership, actor=find_user(world.staff_a["admin"]))
        db.session.commit()
    assert post_service(client, world).status_code == 404
    answer = api_post(client, token, world, api_body())
    assert answer.status_code == 401
    assert entries(app) == []


def test_a_partner_opens_nothing_else_of_the_console(app, client, world):
    login(client, PARTNER)
    assert client.get("/console/acme/").headers["Location"].endswith("/console/acme/services")
    for path in ("/console/acme/units", f"/console/acme/units/{world.unit_ids_a[0]}", "/console/acme/claims",
                 "/console/acme/team", "/console/acme/models", "/console/acme/recalls"):
        assert client.get(path).status_code == 403, path
    page = client.get("/console/acme/services").get_data(as_text=True)
    assert "console/acme/units" not in page and "console/acme/claims" not in page  # the menu shows only theirs


def test_a_partner_sees_only_the_entries_they_recorded(app, client, world):
    with app.app_context():
        unit = db.session.get(Unit, world.unit_ids_a[0])
        record_service(unit, actor=find_user(world.staff_a["admin"]), performed_on=date(2026, 1, 5), kind="polish",
                       centre="Acme Paris")
        db.session.commit()
    login(client, PARTNER)
    assert "Acme Paris" not in client.get("/console/acme/services").get_data(as_text=True)
    [entry] = entries(app)
    assert client.get(f"/console/acme/services/{entry.id}/document").status_code == 404
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    assert "Acme Paris" in admin.get("/console/acme/services").get_data(as_text=True)


# --- what an entry may say --------------------------------------------------------------------------------

@pytest.mark.parametrize(("extra", "message"), [
    ({"performed_on": (date.today() + timedelta(days=2)).isoformat()}, "cannot be in the future"),
    ({"performed_on": "2024-12-31"}, "before the unit was made"),
    ({"kind": "part_replaced"}, "serial of the part"),
    ({"kind": "polish", "part_serial": "P-1"}, "Only a part replaced"),
    ({"centre": "   "}, "This field is required"),
    ({"kind": "teleport"}, "Not a valid choice"),
    ({"gtin": "4012345000000"}, "check digit"),
    ({"serial": "NOPE-1"}, "is known to Provenance"),
])
def test_bad_entries_are_refused_with_a_message_and_nothing_stored(app, client, world, extra, message):
    login(client, PARTNER)
    answer = post_service(client, world, **extra)
    assert 400 <= answer.status_code < 500, answer.status_code
    assert message in answer.get_data(as_text=True)
    assert entries(app) == []


def test_a_part_replaced_keeps_the_parts_serial(app, client, world):
    login(client, PARTNER)
    assert post_service(client, world, kind="part_replaced", part_serial=" CROWN-77 ").status_code == 302
    [entry] = entries(app)
    assert (entry.kind.value, entry.part_serial) == ("part_replaced", "CROWN-77")


def test_hostile_text_is_shown_escaped(app, client, world):
    login(client, PARTNER)
    assert post_service(client, world, centre="<script>alert(1)</script>").status_code == 302
    page = client.get("/console/acme/services").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


# --- uploads ----------------------------------------------------------------------------------------------

def test_a_pdf_with_a_script_is_refused_and_leaves_no_file(app, client, world):
    login(client, PARTNER)
    before = uploads(app)
    answer = post_service(client, world, document=(io.BytesIO(scripted_pdf()), "report.pdf"))
    assert answer.status_code == 422
    assert entries(app) == [] and uploads(app) == before


def test_a_file_that_is_neither_pdf_nor_photo_is_refused(app, client, world):
    login(client, PARTNER)
    answer = post_service(client, world, document=(io.BytesIO(b"MZ\x90\x00 not a document"), "report.exe"))
    assert answer.status_code == 422 and entries(app) == []


def test_an_oversize_document_is_refused(app, client, world):
    login(client, PARTNER)
    big = b"%PDF-1.4\n" + b"0" * (app.config["MAX_UPLOAD_BYTES"] + 1)
    answer = post_service(client, world, document=(io.BytesIO(big), "huge.pdf"))
    assert answer.status_code in (413, 422) and entries(app) == []


def test_a_photo_is_stored_without_its_location(app, client, world):
    login(client, PARTNER)
    assert post_service(client, world, document=(io.BytesIO(photo_with_location()), "bench.jpg")).status_code == 302
    [entry] = entries(app)
    stored = client.get(f"/console/acme/services/{entry.id}/document").data
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()


# --- the owner ---------------------------------------------------------------------------------------------

def own(app, world, email=None, serial_index=0) -> int:
    with app.app_context():
        unit = db.session.get(Unit, world.unit_ids_a[serial_index])
        held = ownership.register_unit(find_user(email or world.owner), unit, purchased_on=date(2025, 6, 1),
                                       retailer="Shop")
        db.session.commit()
        return held.id


def test_the_owner_sees_partner_entries_and_warranty_repairs_on_their_unit_page(app, client, world):
    held = own(app, world)
    partner = app.test_client()
    login(partner, PARTNER)
    assert post_service(partner, world, document=(io.BytesIO(clean_pdf()), "invoice.pdf")).status_code == 302
    with app.app_context():
        owner = find_user(world.owner)
        claim = warranty.file_claim(owner, db.session.get(Unit, world.unit_ids_a[0]), category="does_not_work",
                                    description="It stops every night around midnight.",
                                    started_on=None)
        agent = find_user(world.staff_a["claims_agent"])
        for target in ("approved", "in_repair", "repaired"):
            warranty.move(claim, target, actor=agent, role="agent")
        db.session.commit()
    login(client, world.owner)
    page = client.get(f"/my/units/{held}").get_data(as_text=True)
    assert "Service history" in page and "Atelier Genève" in page and "Full service" in page
    assert "Repaired under warranty" in page and "invoice.pdf" in page
    [entry] = entries(app)
    document = client.get(f"/my/units/{held}/services/{entry.id}/document")
    assert document.status_code == 200 and document.data.startswith(b"%PDF-")
    other = app.test_client()
    login(other, world.other_owner)
    assert other.get(f"/my/units/{held}/services/{entry.id}/document").status_code == 404


def test_the_next_owner_sees_the_history_but_not_the_earlier_notes_or_documents(app, client, world):
    own(app, world)
    partner = app.test_client()
    login(partner, PARTNER)
    assert post_service(partner, world, document=(io.BytesIO(clean_pdf()), "invoice.pdf")).status_code == 302
    with app.app_context():
        seller = find_user(world.owner)
        held = db.session.scalar(select(Ownership).where(Ownership.owner_id == seller.id))
        _, code = ownership.start_transfer(seller, held)
        bought = ownership.accept_transfer(find_user(world.other_owner), code, purchased_on=date(2026, 4, 1))
        db.session.commit()
        bought_id = bought.id
    login(client, world.other_owner)
    page = client.get(f"/my/units/{bought_id}").get_data(as_text=True)
    assert "Atelier Genève" in page
    assert "Full service" not in page and "invoice.pdf" not in page
    [entry] = entries(app)
    assert client.get(f"/my/units/{bought_id}/services/{entry.id}/document").status_code == 404


def test_history_for_unit_carries_no_personal_data(app, world):
    with app.app_context():
        unit = db.session.get(Unit, world.unit_ids_a[0])
        record_service(unit, actor=find_user(PARTNER), performed_on=date(2026, 2, 1), kind="part_replaced",
                       part_serial="CROWN-9", centre="Atelier Genève", notes="Customer Olivia, +41 79 000 00 00")
        db.session.commit()
        history = queries.history_for_unit(unit.id)
    assert [dataclasses.asdict(e) for e in history] == [{
        "performed_on": date(2026, 2, 1), "kind": "part_replaced", "centre": "Atelier Genève",
        "part_serial": "CROWN-9", "source": "partner"}]
    assert {f.name for f in dataclasses.fields(queries.ServiceEntry)} == {
        "performed_on", "kind", "centre", "part_serial", "source"}


def test_the_service_refuses_a_date_before_manufacture_and_in_the_future(app, world):
    with app.app_context():
        unit = db.session.get(Unit, world.unit_ids_a[0])
        partner = find_user(PARTNER)
        for day in (date(2025, 1, 9), utcnow().date() + timedelta(days=1)):
            with pytest.raises(Invalid) as refused:
                record_service(unit, actor=partner, performed_on=day, kind="service", centre="X")
            assert refused.value.field == "performed_on"
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(ServiceEntry)) == 0


# --- the API -----------------------------------------------------------------------------------------------

def partner_token(app, email=PARTNER, scopes=("service:write",)) -> str:
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        _, secret = issue_token(acme, name="Workshop system", scopes=list(scopes),
                                expires_on=utcnow().date() + timedelta(days=30), actor=find_user(email))
        db.session.commit()
    return secret


def api_body(**extra) -> dict:
    return {"performed_on": "2026-03-02", "kind": "battery", "centre": "Atelier Genève", **extra}


def api_post(client, token, world, body, serial=None, headers=None):
    return client.post(f"/api/v1/units/{world.gtin_a}/{serial or world.serials_a[0]}/services", json=body,
                       headers={"Authorization": f"Bearer {token}", **(headers or {})})


def test_a_partner_records_a_service_over_the_api_once_per_idempotency_key(app, client, world):
    token = partner_token(app)
    pdf = base64.b64encode(clean_pdf()).decode()
    body = api_body(document={"filename": "report.pdf", "content_base64": pdf})
    first = api_post(client, token, world, body, headers={"Idempotency-Key": "svc-1"})
    assert first.status_code == 201, first.get_data(as_text=True)
    again = api_post(client, token, world, body, headers={"Idempotency-Key": "svc-1"})
    assert again.status_code == 201 and again.get_json() == first.get_json()
    answer = first.get_json()
    assert answer["kind"] == "battery" and answer["recorded_via"] == "api"
    assert answer["document"]["mime"] == "application/pdf"
    assert PARTNER not in first.get_data(as_text=True)  # who recorded it is not part of the answer
    assert len(entries(app)) == 1


def test_the_api_refuses_other_roles_other_tenants_scripts_and_bad_input(app, client, world):
    analyst_token = partner_token(app, world.staff_a["analyst"])  # the role caps the scope away
    assert api_post(client, analyst_token, world, api_body()).status_code == 403
    no_scope = partner_token(app, scopes=())
    assert api_post(client, no_scope, world, api_body()).status_code == 403
    token = partner_token(app)
    other = client.post(f"/api/v1/units/{world.gtin_b}/{world.serial_b}/services", json=api_body(),
                        headers={"Authorization": f"Bearer {token}"})
    assert other.status_code == 404
    scripted = api_body(document={"filename": "r.pdf", "content_base64": base64.b64encode(scripted_pdf()).decode()})
    refused = api_post(client, token, world, scripted)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "document"
    for bad in (api_body(performed_on="2999-01-01"), api_body(kind="teleport"), api_body(unexpected=1),
                api_body(document={"filename": "x.pdf", "content_base64": "***"}), api_body(centre="")):
        assert api_post(client, token, world, bad).status_code == 422, bad
    assert entries(app) == []


def test_the_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/units/{gtin}/{serial}/services"]["post"]
    assert operation["security"] == [{"bearerAuth": ["service:write"]}]
    assert "201" in operation["responses"]


def test_a_partner_issues_their_own_service_token_and_sees_no_other(app, client, world):
    admins_token = partner_token(app, world.staff_a["admin"], scopes=("units:read",))
    login(client, PARTNER)
    page = client.get("/console/acme/tokens").get_data(as_text=True)
    assert 'value="service:write"' in page and 'value="claims:write"' not in page
    assert admins_token.split("_")[1] not in page  # the admin's token is not listed
    expires = (date.today() + timedelta(days=30)).isoformat()
    refused = client.post("/console/acme/tokens", data={"name": "Workshop", "scopes": ["claims:write"],
                                                         "expires_on": expires})
    assert refused.status_code == 400
    issued = client.post("/console/acme/tokens", data={"name": "Workshop system", "scopes": ["service:write"],
                                                        "expires_on": expires})
    assert issued.status_code == 200
    secret = issued.get_data(as_text=True).split('<code id="new-token">')[1].split("</code>")[0]
    assert api_post(client, secret, world, api_body()).status_code == 201
    with app.app_context():
        from portal.api.models import ApiToken

        admin_token_id = db.session.scalar(select(ApiToken.id).where(
            ApiToken.prefix == admins_token.split("_")[1]))
    assert client.post("/console/acme/tokens/revoke", data={"token_id": admin_token_id}).status_code == 404
    assert api_post(client, admins_token, world, api_body()).status_code == 403  # units:read only: untouched
