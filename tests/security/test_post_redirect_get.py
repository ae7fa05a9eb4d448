"""Post-redirect-get (issue 17): a successful POST answers with a redirect, so Back or reload never sends it
again; the page it leads to is a GET that shows the same result (a failed validation may answer 4xx itself)."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from portal.accounts.services import add_staff
from portal.catalog.models import Manufacturer
from portal.extensions import db
from tests.factories import PASSWORD, build_world, login
from tests.support.second_factor import NEWCOMER, enrol_through_the_page


@pytest.fixture
def world(app):
    return build_world(app)


def test_a_counterfeit_report_redirects_to_its_thank_you(app, world):
    client = app.test_client()
    sent = client.post("/report", data={"gtin": world.gtin_a, "serial": world.serials_a[0],
                                        "message": "The logo is blurry and the box is wrong"})
    assert sent.status_code == 302 and "sent=1" in sent.headers["Location"]
    assert "Thank you" in client.get(sent.headers["Location"]).get_data(as_text=True)


def test_starting_a_transfer_redirects_and_the_code_survives_a_reload(app, world):
    client = app.test_client()
    login(client, world.owner)
    unit_page = client.post("/my/register", data={"gtin": world.gtin_a, "serial": world.serials_a[0]},
                            content_type="multipart/form-data").headers["Location"]
    started = client.post(unit_page + "/transfer")
    assert started.status_code == 302 and started.headers["Location"].endswith(unit_page + "/transfer")
    first = client.get(started.headers["Location"]).get_data(as_text=True)
    code = re.search(r'id="transfer-code"[^>]*>\s*([A-Z0-9-]+)', first).group(1)
    assert code in client.get(started.headers["Location"]).get_data(as_text=True)  # reload: the same code
    other = app.test_client()
    login(other, world.other_owner)
    assert other.get(unit_page + "/transfer").status_code == 404  # nobody else's


def test_a_registration_redirects_to_the_unit(app, world):
    client = app.test_client()
    login(client, world.owner)
    done = client.post("/my/register", data={"gtin": world.gtin_a, "serial": world.serials_a[0],
                                             "proof": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "r.pdf")},
                       content_type="multipart/form-data")
    assert done.status_code == 302 and "/my/units/" in done.headers["Location"]


def test_recovery_codes_are_shown_by_a_get_and_only_once(app, world):
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        add_staff(acme, NEWCOMER, "analyst", password=PASSWORD, actor="test")
        db.session.commit()
    client = app.test_client()
    login(client, NEWCOMER, second_factor=False)
    assert len(enrol_through_the_page(client, NEWCOMER)) == 10  # follows the redirect to the codes' GET
    again = client.get("/account/second-factor/recovery-codes")  # Back or reload: gone, and it says where
    assert again.status_code == 302 and "/account/sessions" in again.headers["Location"]
