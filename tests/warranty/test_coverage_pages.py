"""What the owner's unit page and certificate say about coverage: from the receipt, from manufacture plus grace,
ended, none at all, and extended."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.catalog.models import Manufacturer, Unit
from portal.catalog.services import add_model, create_unit
from portal.core.dates import add_months
from portal.demo import gtin_for
from portal.extensions import db
from portal.ownership.models import Ownership
from tests.factories import build_world, login

MADE = date.today() - timedelta(days=200)
BOUGHT = date.today() - timedelta(days=100)


@pytest.fixture
def world(app):
    return build_world(app)


def long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def fresh_unit(app, serial: str, *, made: date | None = MADE, months: int | None = None) -> tuple[str, str]:
    """A new acme unit (of a new model when `months` is given); returns its GTIN and serial."""
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        gtin = db.session.scalar(select(Unit).limit(1)).model.gtin
        if months is not None:
            gtin = add_model(acme, gtin=gtin_for("4012345", 7), name="Acme Strap", warranty_months=months,
                             actor="test").gtin
        create_unit(acme, gtin=gtin, serial=serial, manufactured_on=made, actor="test")
        db.session.commit()
    return gtin, serial


def register(client, gtin: str, serial: str, *, purchased_on: date = BOUGHT, receipt: bool) -> str:
    """Register through the page, as an owner does; returns the unit page's HTML."""
    data = {"gtin": gtin, "serial": serial, "purchased_on": purchased_on.isoformat(), "retailer": "Acme Boutique"}
    if receipt:
        out = io.BytesIO()
        Image.new("RGB", (60, 90), "white").save(out, format="JPEG")
        data["proof"] = (io.BytesIO(out.getvalue()), "receipt.jpg")
    response = client.post("/my/register", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def warranty_section(page: str) -> str:
    start = page.index('aria-labelledby="warranty-h"')
    return page[start:page.index("</section>", start)]


def test_with_a_receipt_the_warranty_runs_from_the_purchase_date(client, world):
    gtin, serial = fresh_unit(client.application, "ACME-RCPT")
    login(client, world.owner)
    section = warranty_section(register(client, gtin, serial, receipt=True))
    assert f"Covered until {long(add_months(BOUGHT, 24))}: parts and labour" in section
    assert "24-month warranty from the purchase date on the receipt" in section
    assert "Warranty certificate (PDF)" in section


def test_without_a_receipt_the_warranty_runs_from_manufacture_plus_grace(client, world):
    gtin, serial = fresh_unit(client.application, "ACME-NORC")
    login(client, world.owner)
    section = warranty_section(register(client, gtin, serial, receipt=False))
    assert f"Covered until {long(add_months(MADE + timedelta(days=90), 24))}: parts and labour" in section
    assert "24-month warranty from the manufacture date plus 90 days" in section
    assert long(add_months(BOUGHT, 24)) not in section  # the purchase date without proof does not count


def test_an_ended_warranty_says_when_it_ended(client, world):
    gtin, serial = fresh_unit(client.application, "ACME-2015", made=date(2015, 1, 10))
    login(client, world.owner)
    section = warranty_section(register(client, gtin, serial, purchased_on=date(2015, 3, 1), receipt=True))
    assert "Not covered" in section and "The warranty ended on 1 March 2017." in section


def test_a_model_without_warranty_says_so(client, world):
    gtin, serial = fresh_unit(client.application, "STRAP-1", months=0)
    login(client, world.owner)
    section = warranty_section(register(client, gtin, serial, receipt=True))
    assert "Not covered" in section and "This model has no manufacturer" in section


def test_an_extension_covers_an_ended_unit_and_the_certificate_lists_both_terms(app, client, world):
    from portal.warranty.services import add_extension

    gtin, serial = fresh_unit(app, "ACME-2015", made=date(2015, 1, 10))
    login(client, world.owner)
    register(client, gtin, serial, purchased_on=date(2015, 3, 1), receipt=True)
    starts = date.today() - timedelta(days=30)
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.serial == serial))
        add_extension(unit, starts_on=starts, months=12, scope=["parts", "labour", "accidental"],
                      note="Extended warranty bought at the shop", actor=find_user(world.staff_a["admin"]))
        db.session.commit()
        ownership_id = db.session.scalar(select(Ownership.id).where(Ownership.unit_id == unit.id))
    section = warranty_section(client.get(f"/my/units/{ownership_id}").get_data(as_text=True))
    assert f"Covered until {long(add_months(starts, 12))}: parts, labour and accidental damage" in section

    pdf = client.get(f"/my/units/{ownership_id}/certificate.pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert "24-month warranty from the purchase date on the receipt" in text
    assert "1 March 2015" in text and "1 March 2017" in text
    assert "Extended warranty bought at the shop" in text and "Parts, labour and accidental damage" in text
    assert f"Covered until {long(add_months(starts, 12))}" in text
