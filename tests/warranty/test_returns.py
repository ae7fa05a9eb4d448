"""Returns that can be sent (issue 17): manufacturers keep return addresses per country with a default, in
the console and the API; the RMA document prints the one for the owner's country, the RMA number as text
and as a QR code, and how to pack (read back from the PDF)."""
import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.catalog.models import Manufacturer, Unit
from portal.core.errors import Invalid, NotFound
from portal.core.storage import StoredFile
from portal.documents.qr import qr_svg
from portal.extensions import db
from portal.ownership.services import register_unit
from portal.warranty import returns, services
from portal.warranty.models import ClaimState, ReturnAddress, WarrantyClaim
from portal.warranty.rma import _render, render_rma, return_address
from tests.factories import build_world, login
from tests.support.api import ApiClient, as_problem, make_token
from tests.support.forms import shown

RECEIPT = StoredFile(key="receipt.pdf", mime="application/pdf", name="receipt.pdf", size=10)
FRANCE = "Acme Retours\n12 rue du Port\n69002 Lyon\nFrance"
GERMANY = "Acme Rücksendungen\nHafenstraße 7\n20457 Hamburg\nDeutschland"
DEFAULT = "Acme Returns\n1 Dock Road\nLondon E16 2AA\nUnited Kingdom"


@pytest.fixture
def world(app):
    world = build_world(app)
    with app.app_context():
        for i in range(3):
            register_unit(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[i]), purchased_on=date.today(),
                          proof=RECEIPT)
        db.session.commit()
    return world


def acme() -> Manufacturer:
    return db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))


def approved_claim(world, index: int, country: str) -> WarrantyClaim:
    claim = services.file_claim(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[index]),
                                category="does_not_work", description="It stopped after two weeks of use.",
                                started_on=None, return_country=country)
    services.move(claim, ClaimState.APPROVED, actor=find_user(world.staff_a["claims_agent"]), role="agent")
    return claim


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_rma_prints_the_address_for_the_owners_country_or_the_default(app, world):
    with app.test_request_context():
        maker = acme()
        for country, lines in (("FR", FRANCE), ("DE", GERMANY), ("", DEFAULT)):
            returns.save_address(maker.id, country, lines, actor="test")
        claims = {c: approved_claim(world, i, c) for i, c in enumerate(("FR", "DE", "IT"))}
        db.session.commit()
        texts = {c: pdf_text(render_rma(claim)) for c, claim in claims.items()}
        numbers = {c: claim.rma_number for c, claim in claims.items()}
    assert "12 rue du Port" in texts["FR"] and "69002 Lyon" in texts["FR"]
    assert "Hafenstraße 7" in texts["DE"] and "20457 Hamburg" in texts["DE"]
    assert "1 Dock Road" in texts["IT"] and "London E16 2AA" in texts["IT"]  # no Italian address: the default
    assert "rue du Port" not in texts["DE"] and "Dock Road" not in texts["FR"] and "Hamburg" not in texts["IT"]
    for country, text in texts.items():
        assert text.count(numbers[country]) >= 2  # the heading and the slip taped to the parcel
        assert "How to pack it" in text and "original box" in text
        assert "Returns department" not in text


def test_the_rma_carries_its_number_as_a_qr_code_and_falls_back_to_the_department(app, world):
    with app.test_request_context():
        claim = approved_claim(world, 0, "")
        db.session.commit()
        html = _render(claim, acme(), "https://portal.example/my/claims/" + claim.number)
        assert str(qr_svg(claim.rma_number, border=0)) in html  # the number itself, for the warehouse's scanner
        assert return_address(acme(), "").lines == ("Returns department, Acme Watches",)
        text = pdf_text(render_rma(claim))
    assert "Returns department, Acme Watches" in text


@pytest.mark.parametrize("country, lines, message", [
    ("XX", FRANCE, "Choose a country"),
    ("FRA", FRANCE, "Choose a country"),
    ("FR", "   \n  ", "Write the postal address"),
    ("FR", "\n".join(f"line {i}" for i in range(7)), "at most 6 lines"),
    ("FR", "x" * 81, "at most 6 lines of 80"),
    ("FR", "Acme\x07Returns", "Write the postal address"),
])
def test_bad_addresses_are_refused_and_nothing_is_stored(app, world, country, lines, message):
    with app.test_request_context():
        with pytest.raises(Invalid, match=message):
            returns.save_address(acme().id, country, lines, actor="test")
        db.session.rollback()
        assert db.session.scalar(select(ReturnAddress)) is None


def test_a_country_has_one_address_and_removing_it_falls_back_to_the_default(app, world):
    with app.test_request_context():
        maker = acme()
        returns.save_address(maker.id, "fr", FRANCE, actor="test")
        returns.save_address(maker.id, "FR", FRANCE.replace("12", "14"), actor="test")
        returns.save_address(maker.id, None, DEFAULT, actor="test")
        assert [a.country for a in returns.addresses_of(maker.id)] == ["", "FR"]
        assert returns.address_for(maker.id, "fr").lines[1] == "14 rue du Port"
        returns.remove_address(maker.id, "FR", actor="test")
        assert returns.address_for(maker.id, "FR").country == ""
        with pytest.raises(NotFound):
            returns.remove_address(maker.id, "FR", actor="test")


def test_console_admins_keep_addresses_agents_read_them_other_tenants_never_see_them(app, client, world):
    login(client, world.staff_a["admin"])
    saved = client.post("/console/acme/returns", data={"country": "DE", "lines": GERMANY})
    assert saved.status_code == 303
    page = client.get("/console/acme/returns").get_data(as_text=True)
    assert "Hafenstraße 7" in page and "Germany (DE)" in page
    refused = client.post("/console/acme/returns", data={"country": "QQ", "lines": GERMANY})
    assert refused.status_code == 400
    assert client.post("/console/acme/returns/remove", data={"country": "DE"}).status_code == 303
    assert "Hafenstraße" not in client.get("/console/acme/returns").get_data(as_text=True)
    client.post("/console/acme/returns", data={"country": "", "lines": DEFAULT})

    agent = app.test_client()
    login(agent, world.staff_a["claims_agent"])
    assert "1 Dock Road" in agent.get("/console/acme/returns").get_data(as_text=True)
    assert agent.post("/console/acme/returns", data={"country": "FR", "lines": FRANCE}).status_code == 403
    other = app.test_client()
    login(other, world.staff_b["admin"])
    assert "Dock Road" not in other.get("/console/bravo/returns").get_data(as_text=True)
    assert other.get("/console/acme/returns").status_code == 404


def test_the_api_lists_sets_and_removes_addresses_with_its_scopes(app, client, world):
    api = ApiClient(client, make_token(app, world))
    put = client.put("/api/v1/return-addresses/fr", json={"lines": FRANCE.splitlines()},
                     headers={"Authorization": f"Bearer {api.token}"})
    assert put.status_code == 200, put.get_data(as_text=True)
    assert put.get_json() == {"country": "FR", "lines": FRANCE.splitlines()}
    client.put("/api/v1/return-addresses/default", json={"lines": DEFAULT.splitlines()},
               headers={"Authorization": f"Bearer {api.token}"})
    listed = api.get("/api/v1/return-addresses").get_json()["items"]
    assert [a["country"] for a in listed] == ["default", "FR"]
    as_problem(client.put("/api/v1/return-addresses/zz", json={"lines": ["x"]},
                          headers={"Authorization": f"Bearer {api.token}"}), 422, "invalid")
    as_problem(client.put("/api/v1/return-addresses/de", json={"lines": []},
                          headers={"Authorization": f"Bearer {api.token}"}), 422, "validation")
    assert api.post("/api/v1/return-addresses/fr/remove").status_code == 204
    assert [a["country"] for a in api.get("/api/v1/return-addresses").get_json()["items"]] == ["default"]

    reader = ApiClient(client, make_token(app, world, ["claims:read"]))
    assert reader.get("/api/v1/return-addresses").status_code == 200
    as_problem(client.put("/api/v1/return-addresses/fr", json={"lines": ["x"]},
                          headers={"Authorization": f"Bearer {reader.token}"}), 403, "insufficient-scope")
    bravo = ApiClient(client, make_token(app, world, tenant="bravo"))
    assert bravo.get("/api/v1/return-addresses").get_json() == {"items": []}


def test_the_owner_says_where_they_send_from_when_filing(app, client, world):
    login(client, world.owner)
    with app.app_context():
        from portal.ownership.models import Ownership
        ownership_id = db.session.scalar(select(Ownership.id).where(Ownership.unit_id == world.unit_ids_a[0]))
    form = client.get(f"/my/units/{ownership_id}/claims/new").get_data(as_text=True)
    assert 'name="return_country"' in form and '<option value="DE">Germany</option>' in form
    data = {"category": "does_not_work", "description": "It stopped after two weeks of use.", "started_on": "",
            "preferred_remedy": "repair", "return_country": "DE"}
    assert client.post(f"/my/units/{ownership_id}/claims/new", data=data).status_code == 302
    bad = shown(client, client.post(f"/my/units/{ownership_id}/claims/new", data={**data, "category": "battery",
                                                                                  "return_country": "QQ"}))
    assert bad.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(WarrantyClaim.return_country)).all() == ["DE"]


def test_without_a_choice_the_claim_takes_the_country_the_ownership_records(app, world):
    from portal.ownership.models import Ownership

    with app.test_request_context():
        ownership = db.session.scalar(select(Ownership).where(Ownership.unit_id == world.unit_ids_a[1]))
        ownership.country = "DE"
        returns.save_address(acme().id, "DE", GERMANY, actor="test")
        claim = approved_claim(world, 1, "")
        db.session.commit()
        assert claim.return_country == "DE"
        assert "Hafenstraße 7" in pdf_text(render_rma(claim))
