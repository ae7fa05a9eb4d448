"""Units (read, list, batch create, components), coverage checks and sales at the till."""
from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from portal.accounts.services import find_user
from portal.catalog.models import BizStep, Disposition, Unit, UnitEvent
from portal.core.dates import add_months
from portal.core.storage import StoredFile
from portal.extensions import db
from portal.notifications.models import Notification
from portal.ownership.services import register_unit
from tests.factories import login
from tests.support.api import ApiClient, as_problem, make_token

RECEIPT = StoredFile(key="receipt-on-file.pdf", mime="application/pdf", name="receipt.pdf", size=1200)


def unit_path(world, index: int = 0, prefix: str = "units") -> str:
    return f"/api/v1/{prefix}/{world.gtin_a}/{world.serials_a[index]}"


def register(app, world, index: int = 0, purchased_on: date | None = None) -> None:
    with app.app_context():
        register_unit(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[index]),
                      purchased_on=purchased_on or date.today() - timedelta(days=10), retailer="Shop", proof=RECEIPT)
        db.session.commit()


# --- Read ------------------------------------------------------------------------------------------

def test_a_unit_reads_with_status_coverage_recalls_and_registration(app, world, api):
    fresh = api.get(unit_path(world)).get_json()
    assert fresh["gtin"] == world.gtin_a and fresh["serial"] == world.serials_a[0]
    assert fresh["product"] == "Acme One" and fresh["lot"] == "L1" and fresh["manufactured_on"] == "2025-01-10"
    assert fresh["status"] == "active" and fresh["registered"] is False
    assert fresh["recalls"]["status"] == "No open recalls for this unit" and fresh["recalls"]["open_recalls"] == 0
    assert fresh["parent"] is None and fresh["components"] == []
    register(app, world)
    owned = api.get(unit_path(world)).get_json()
    assert owned["registered"] is True and owned["status"] == "retail_sold"
    assert owned["coverage"]["covered"] is True and owned["coverage"]["scopes"] == ["parts", "labour"]
    assert owned["coverage"]["until"] == add_months(date.today() - timedelta(days=10), 24).isoformat()
    assert owned["coverage"]["words"].startswith("Covered until")
    assert "email" not in str(owned).lower()  # nothing about the owner but the fact


def test_coverage_on_a_given_day(app, world, api):
    register(app, world, purchased_on=date(2025, 3, 1))
    inside = api.get(unit_path(world, prefix="coverage") + "?on=2026-03-01").get_json()
    assert inside["covered"] is True and inside["until"] == "2027-03-01" and inside["on"] == "2026-03-01"
    after = api.get(unit_path(world, prefix="coverage") + "?on=2027-03-02").get_json()
    assert after["covered"] is False and after["until"] is None and "ended" in after["words"]
    before = api.get(unit_path(world, prefix="coverage") + "?on=2025-02-01").get_json()
    assert before["covered"] is False and "starts" in before["reason"]
    as_problem(api.get(unit_path(world, prefix="coverage") + "?on=31.12.2026"), 422, "validation")


def test_unit_list_shows_only_the_tokens_tenant(app, world, api):
    serials = [u["serial"] for u in api.get("/api/v1/units").get_json()["items"]]
    assert serials == world.serials_a
    bravo = ApiClient(api.client, make_token(app, world, tenant="bravo"))
    assert [u["serial"] for u in bravo.get("/api/v1/units").get_json()["items"]] == [world.serial_b]


# --- Batch create ----------------------------------------------------------------------------------

def test_a_batch_answers_each_row_and_a_repeat_changes_nothing(app, world, api):
    rows = [
        {"gtin": world.gtin_a, "serial": "NEW-1", "lot": "L2", "manufactured_on": "2025-06-01"},
        {"gtin": world.gtin_a, "serial": "NEW-2", "parent_gtin": world.gtin_a, "parent_serial": "NEW-1"},
        {"gtin": world.gtin_a, "serial": world.serials_a[0]},
        {"gtin": world.gtin_b, "serial": "NOT-OURS"},
        {"gtin": world.gtin_a, "serial": "BAD SERIAL"},
        {"gtin": world.gtin_a, "serial": "ORPHAN", "parent_gtin": world.gtin_a, "parent_serial": "NOBODY"},
    ]
    first = api.post("/api/v1/units", json={"units": rows})
    assert first.status_code == 200
    body = first.get_json()
    assert [r["result"] for r in body["results"]] == ["added", "added", "unchanged", "rejected", "rejected", "rejected"]
    assert (body["added"], body["unchanged"], body["rejected"]) == (2, 1, 3)
    assert "not one of your product models" in body["results"][3]["detail"]
    assert "parent" in body["results"][5]["detail"]
    with app.app_context():
        child = db.session.scalar(select(Unit).where(Unit.serial == "NEW-2"))
        assert child.parent.serial == "NEW-1" and child.manufacturer_id == db.session.get(Unit, world.unit_ids_a[0]
                                                                                        ).manufacturer_id
    again = api.post("/api/v1/units", json={"units": rows[:3]}).get_json()
    assert [r["result"] for r in again["results"]] == ["unchanged"] * 3


def test_a_batch_needs_the_write_scope_and_a_list(app, world, client):
    reader = ApiClient(client, make_token(app, world, ["units:read"]))
    as_problem(reader.post("/api/v1/units", json={"units": [{"gtin": world.gtin_a, "serial": "X"}]}),
               403, "insufficient-scope")
    writer = ApiClient(client, make_token(app, world, ["units:write"]))
    as_problem(writer.post("/api/v1/units", json={"units": []}), 422, "validation")


# --- Components -----------------------------------------------------------------------------------

def test_components_are_attached_and_shown_on_both_sides(app, world, api):
    response = api.post(unit_path(world, 0) + "/components",
                        json={"components": [{"gtin": world.gtin_a, "serial": world.serials_a[1]},
                                             {"gtin": world.gtin_a, "serial": world.serials_a[2]}]})
    assert response.status_code == 200
    assert [c["serial"] for c in response.get_json()["components"]] == world.serials_a[1:]
    part = api.get(unit_path(world, 1)).get_json()
    assert part["parent"] == {"gtin": world.gtin_a, "serial": world.serials_a[0]}
    with app.app_context():
        steps = db.session.scalars(select(UnitEvent.biz_step).where(UnitEvent.unit_id == world.unit_ids_a[1])).all()
        assert BizStep.INSTALLING in steps


def test_a_cycle_or_a_part_of_another_assembly_is_refused_and_nothing_changes(app, world, api):
    assert api.post(unit_path(world, 0) + "/components",
                    json={"components": [{"gtin": world.gtin_a, "serial": world.serials_a[1]}]}).status_code == 200
    cycle = api.post(unit_path(world, 1) + "/components",
                     json={"components": [{"gtin": world.gtin_a, "serial": world.serials_a[0]}]})
    body = as_problem(cycle, 409, "conflict")
    assert body["errors"][0]["field"] == "components.0" and "inside itself" in body["errors"][0]["detail"]
    itself = api.post(unit_path(world, 2) + "/components",
                      json={"components": [{"gtin": world.gtin_a, "serial": world.serials_a[2]}]})
    as_problem(itself, 409, "conflict")
    taken = api.post(unit_path(world, 2) + "/components",
                     json={"components": [{"gtin": world.gtin_a, "serial": world.serials_a[1]}]})
    assert "another unit" in as_problem(taken, 409, "conflict")["errors"][0]["detail"]
    with app.app_context():
        assert db.session.get(Unit, world.unit_ids_a[0]).parent_id is None


def test_an_unknown_or_foreign_component_is_a_422_naming_it(app, world, api):
    response = api.post(unit_path(world, 0) + "/components",
                        json={"components": [{"gtin": world.gtin_a, "serial": world.serials_a[1]},
                                             {"gtin": world.gtin_b, "serial": world.serial_b}]})
    body = as_problem(response, 422, "invalid")
    assert [e["field"] for e in body["errors"]] == ["components.1.serial"]
    with app.app_context():
        assert db.session.get(Unit, world.unit_ids_a[1]).parent_id is None


# --- Sales ----------------------------------------------------------------------------------------

def test_a_sale_with_the_buyers_email_invites_them_to_register_with_the_purchase_filled_in(app, world, api):
    sold_on = date.today() - timedelta(days=1)
    response = api.post("/api/v1/sales", json={"gtin": world.gtin_a, "serial": world.serials_a[0],
                                               "retailer": "Acme Boutique Zurich", "sold_on": sold_on.isoformat(),
                                               "buyer_email": "buyer@example.test"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "retail_sold" and body["invitation_sent"] is True and body["event_id"] > 0
    with app.app_context():
        unit = db.session.get(Unit, world.unit_ids_a[0])
        assert unit.status is Disposition.RETAIL_SOLD
        event = db.session.get(UnitEvent, body["event_id"])
        assert event.biz_step is BizStep.RETAIL_SELLING and event.place == "Acme Boutique Zurich"
        assert event.occurred_at.date() == sold_on
        note = db.session.scalar(select(Notification).where(Notification.recipient == "buyer@example.test"))
        assert note.template == "sale_invitation" and "Acme One" in note.subject
    link = next(line for line in note.body_text.split() if "/my/register?" in line)
    query = parse_qs(urlsplit(link).query)
    assert query == {"gtin": [world.gtin_a], "serial": [world.serials_a[0]], "purchased_on": [sold_on.isoformat()],
                     "retailer": ["Acme Boutique Zurich"]}
    buyer = app.test_client()
    login(buyer, world.owner)
    page = buyer.get(link.replace("http://portal.test", "")).get_data(as_text=True)
    assert f'value="{sold_on.isoformat()}"' in page and 'value="Acme Boutique Zurich"' in page


def test_a_sale_without_email_sends_nothing(app, world, api):
    response = api.post("/api/v1/sales", json={"gtin": world.gtin_a, "serial": world.serials_a[1],
                                               "retailer": "Shop", "sold_on": date.today().isoformat()})
    assert response.status_code == 201 and response.get_json()["invitation_sent"] is False
    with app.app_context():
        assert db.session.scalar(select(Notification)) is None


def test_a_unit_sold_twice_or_reported_stolen_is_refused(app, world, api):
    body = {"gtin": world.gtin_a, "serial": world.serials_a[0], "retailer": "Shop", "sold_on": date.today().isoformat()}
    assert api.post("/api/v1/sales", json=body).status_code == 201
    assert "already sold" in as_problem(api.post("/api/v1/sales", json=body), 409, "conflict")["detail"]
    with app.app_context():
        from portal.catalog.services import record_event

        record_event(db.session.get(Unit, world.unit_ids_a[1]), BizStep.OTHER, Disposition.STOLEN, actor="test")
        db.session.commit()
    stolen = api.post("/api/v1/sales", json={**body, "serial": world.serials_a[1]})
    assert "stolen" in as_problem(stolen, 409, "conflict")["detail"]


def test_a_sale_dated_before_manufacture_names_the_field(world, api):
    body = as_problem(api.post("/api/v1/sales", json={"gtin": world.gtin_a, "serial": world.serials_a[0],
                                                      "retailer": "Shop", "sold_on": "2024-12-31"}), 422, "invalid")
    assert body["errors"][0]["field"] == "sold_on"


def test_a_sale_may_name_the_shops_country_as_an_iso_code(app, world, api):
    body = {"gtin": world.gtin_a, "serial": world.serials_a[0], "retailer": "Shop", "sold_on": date.today().isoformat()}
    for bad in ("FRA", "F", "ZZ", "12"):
        problem = as_problem(api.post("/api/v1/sales", json={**body, "country": bad}), 422, "validation")
        assert problem["errors"][0]["field"] == "country"
    response = api.post("/api/v1/sales", json={**body, "country": "ch"})
    assert response.status_code == 201 and response.get_json()["country"] == "CH"
    with app.app_context():
        assert db.session.get(UnitEvent, response.get_json()["event_id"]).country == "CH"
