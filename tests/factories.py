"""Test data built through the services, committed, and handed back as plain values."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from portal.accounts.models import Role
from portal.accounts.second_factor import PERIOD, code_for, enrol, factor_of, needs_second_factor, step_at
from portal.accounts.services import add_staff, create_user, find_user
from portal.catalog.services import add_model, create_tenant, create_unit
from portal.core.db import utcnow
from portal.demo import gtin_for
from portal.extensions import db

PASSWORD = "correct horse battery"
#: Every staff member and platform admin of the tests is enrolled with this authenticator secret.
TOTP_SECRET = b"provenance-test-totp"


@dataclass
class World:
    gtin_a: str
    gtin_b: str
    serials_a: list[str]
    serial_b: str
    unit_ids_a: list[int]
    unit_id_b: int
    model_id_a: int
    model_id_b: int
    staff_a: dict[str, str] = field(default_factory=dict)  # role -> e-mail
    staff_b: dict[str, str] = field(default_factory=dict)
    owner: str = "owner@example.test"
    other_owner: str = "other@example.test"
    unverified: str = "unverified@example.test"
    platform_admin: str = "platform@example.test"


def build_world(app) -> World:
    """Two tenants (acme: watches, bravo: bikes), staff of every role, two verified owners and one not."""
    with app.app_context():
        acme = create_tenant("acme", "Acme Watches", ["4012345"], actor="test")
        bravo = create_tenant("bravo", "Bravo Bikes", ["5012345"], actor="test")
        model_a = add_model(acme, gtin=gtin_for("4012345", 1), name="Acme One", warranty_months=24, actor="test")
        model_b = add_model(bravo, gtin=gtin_for("5012345", 1), name="Bravo Cargo", warranty_months=36, actor="test")
        units_a = [create_unit(acme, gtin=model_a.gtin, serial=f"ACME-{i:04d}", lot="L1",
                               manufactured_on=date(2025, 1, 10), actor="test") for i in range(1, 4)]
        unit_b = create_unit(bravo, gtin=model_b.gtin, serial="BRAVO-0001", manufactured_on=date(2025, 2, 1),
                             actor="test")
        world = World(gtin_a=model_a.gtin, gtin_b=model_b.gtin, serials_a=[u.serial for u in units_a],
                      serial_b=unit_b.serial, unit_ids_a=[u.id for u in units_a], unit_id_b=unit_b.id,
                      model_id_a=model_a.id, model_id_b=model_b.id)
        for role in Role:
            world.staff_a[role.value] = f"{role.value}@acme.test"
            add_staff(acme, world.staff_a[role.value], role, password=PASSWORD, actor="test")
        world.staff_b["admin"] = "admin@bravo.test"
        add_staff(bravo, "admin@bravo.test", Role.ADMIN, password=PASSWORD, actor="test")
        create_user(world.owner, PASSWORD, name="Olivia Owner", verified=True)
        create_user(world.other_owner, PASSWORD, name="Otto Other", verified=True)
        create_user(world.unverified, PASSWORD)
        admin = create_user(world.platform_admin, PASSWORD, verified=True)
        admin.is_platform_admin = True
        for email in [*world.staff_a.values(), *world.staff_b.values(), world.platform_admin]:
            enrol(find_user(email), TOTP_SECRET, actor="test")
        db.session.commit()
    return world


def next_code(app, email: str) -> str:
    """A code the authenticator shows about now that the portal has not accepted yet (each works once).

    Within the last second of a step it first waits for the next one: the portal accepts the previous step's
    code too, and checking it just after the step changed would find it out of that window."""
    with app.app_context():
        factor = factor_of(find_user(email))
        last = factor.last_step if factor and factor.last_step is not None else -1
    now = utcnow()
    if step_at(now + timedelta(seconds=1)) != step_at(now):
        time.sleep((step_at(now) + 1) * PERIOD - now.timestamp() + 0.01)
    step = max(step_at(utcnow()) - 1, last + 1)
    return code_for(TOTP_SECRET, step)


def login(client, email: str, password: str = PASSWORD, *, second_factor: bool = True):
    """Sign in through the pages. Staff and platform admins also pass the code step (being enrolled first
    with TOTP_SECRET when they are not), unless `second_factor` is False."""
    app = client.application
    if second_factor:
        with app.app_context():
            user = find_user(email)
            if user is not None and needs_second_factor(user) and factor_of(user) is None:
                enrol(user, TOTP_SECRET, actor="test")
                db.session.commit()
    response = client.post("/signin", data={"email": email, "password": password})
    assert response.status_code == 302, f"sign-in of {email} failed: {response.status_code}"
    if "/signin/code" in response.headers["Location"] and second_factor:
        response = client.post(response.headers["Location"], data={"code": next_code(app, email)})
        assert response.status_code == 302, f"code step of {email} failed: {response.status_code}"
    return response


FLEET_PREFIX = "4055555"


def build_bike_fleet(slug: str = "ebike"):
    """Ten bikes, each holding a pack that holds a cell (cells 1-4 of lot CELL-A, 5-10 of CELL-B): depth three.

    Call inside an app context; returns the tenant. Serials are B-001.., P-001.., C-001..
    """
    from portal.catalog.importer import import_units_csv

    cell, pack, bike = (gtin_for(FLEET_PREFIX, i) for i in (1, 2, 3))
    tenant = create_tenant(slug, "E-Bike Co", [FLEET_PREFIX], actor="test")
    for gtin, name in ((cell, "Cell"), (pack, "Pack"), (bike, "Bike")):
        add_model(tenant, gtin=gtin, name=name, warranty_months=24, actor="test")
    rows = ["gtin,serial,lot,manufactured_on,parent_gtin,parent_serial,nfc_uid"]
    for n in range(1, 11):
        lot = "CELL-A" if n <= 4 else "CELL-B"
        rows.append(f"{bike},B-{n:03d},W1,2025-0{1 + n % 3}-15,,,")
        rows.append(f"{pack},P-{n:03d},PK1,2025-01-10,{bike},B-{n:03d},")
        rows.append(f"{cell},C-{n:03d},{lot},2025-01-05,{pack},P-{n:03d},")
    report = import_units_csv(tenant, "\n".join(rows), actor="test")
    assert report.added == 30 and not report.rejected, report
    return tenant


#: The elements of a GPSR recall notice (Regulation (EU) 2023/988 Art. 36(2) (b)-(g)) that a test campaign's
#: draft needs before it can launch: pass `**GPSR_NOTICE` to recalls.services.save_draft.
GPSR_NOTICE = {
    "product_description": "The product named in the campaign.",
    "product_image": "test/product.png",
    "identifier_location": "The serial number is printed on the label under the product.",
    "identifier_image": "test/label.png",
    "sold_from": "2025-01-01", "sold_to": "2025-12-31",
    "sold_where": "Shops and the web shop in France, Germany and Belgium",
    "sold_by": "The manufacturer and its dealers",
    "countries": "FR,DE,BE",
    "remedies": "repair,replace,refund",
    "contact_phone": "0800 100 200",
    "contact_url": "https://maker.example/recall",
    "share_request": "Please share this notice with anyone who may own this product.",
    "remedy_instructions": "Contact a dealer to arrange the free remedy.",
}
