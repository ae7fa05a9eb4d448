"""Owner pages over HTTP: registration with a proof of purchase, bad input, access to proofs, transfers."""
import io
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.extensions import db
from portal.ownership.models import Ownership
from tests.factories import build_world, login
from tests.support.forms import shown


@pytest.fixture
def world(app):
    return build_world(app)


def photo_with_location() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (46.0, 12.0, 0.0), 3: "E", 4: (6.0, 8.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def register(client, world, serial=None, **extra):
    data = {"gtin": world.gtin_a, "serial": serial or world.serials_a[0], "purchased_on": "2025-03-14",
            "retailer": "Acme Boutique", **extra}
    # a refused submit answers 303 to the form, which shows the refusal with its 4xx (core/drafts.py)
    return shown(client, client.post("/my/register", data=data, content_type="multipart/form-data"))


def ownership_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ownership))


def test_register_with_a_photo_receipt_strips_its_location_and_shows_coverage(app, client, world):
    login(client, world.owner)
    response = register(client, world, proof=(io.BytesIO(photo_with_location()), "receipt.jpg"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Covered" in page and "14 March 2027" in page
    with app.app_context():
        ownership = db.session.scalar(select(Ownership))
        assert ownership.proof_mime == "image/jpeg"
        proof_id = ownership.id
    served = client.get(f"/my/units/{proof_id}/proof")
    assert served.status_code == 200
    stored = Image.open(io.BytesIO(served.data))
    assert not stored.getexif(), "EXIF (and GPS) must be gone"


def test_register_with_a_pdf_receipt(app, client, world):
    login(client, world.owner)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert register(client, world, proof=(io.BytesIO(pdf), "receipt.pdf")).status_code == 302


@pytest.mark.parametrize("payload, name", [
    (b"MZ\x90\x00 this is an executable", "receipt.pdf"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "receipt.png"),
    (b"GIF89a" + b"\x00" * 64, "receipt.gif"),
    (b"", "empty.jpg"),
])
def test_an_upload_that_is_not_an_image_or_pdf_is_refused_and_nothing_is_stored(app, client, world, payload, name):
    login(client, world.owner)
    response = register(client, world, proof=(io.BytesIO(payload), name))
    assert 400 <= response.status_code < 500
    assert ownership_count(app) == 0


def test_an_oversize_upload_is_refused_with_a_message(app, client, world):
    login(client, world.owner)
    app.config["MAX_UPLOAD_BYTES"], limit = 1024, app.config["MAX_UPLOAD_BYTES"]
    try:
        response = register(client, world, proof=(io.BytesIO(b"%PDF-1.4" + b"0" * 4096 + b"%%EOF"), "big.pdf"))
    finally:
        app.config["MAX_UPLOAD_BYTES"] = limit
    assert response.status_code == 422 and "larger than" in response.get_data(as_text=True)
    assert ownership_count(app) == 0


def test_a_body_over_the_request_limit_gets_413_not_500(app, client, world):
    login(client, world.owner)
    app.config["MAX_CONTENT_LENGTH"], limit = 2048, app.config["MAX_CONTENT_LENGTH"]
    try:
        response = register(client, world, proof=(io.BytesIO(b"x" * 10000), "big.jpg"))
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)


@pytest.mark.parametrize("gtin, serial, status, message", [
    ("04012345000013", "ACME-0001", 422, "check digit"),
    ("4012345", "ACME-0001", 422, "8, 12, 13 or 14 digits"),
    ("40123450000AB", "ACME-0001", 422, "digits only"),
    (None, "A" * 21, 422, "1 to 20 characters"),
    (None, "ACME 0001", 422, "does not allow"),
    (None, "ACME#0001", 422, "does not allow"),
    (None, "ACME-9999", 404, "No unit with GTIN"),
])
def test_bad_gtins_serials_and_unknown_units_get_a_clear_4xx(app, client, world, gtin, serial, status, message):
    login(client, world.owner)
    response = shown(client, client.post("/my/register", data={"gtin": gtin or world.gtin_a, "serial": serial},
                                         content_type="multipart/form-data"))
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert ownership_count(app) == 0


def test_a_second_registration_is_refused_with_a_way_to_dispute(app, client, world):
    login(client, world.owner)
    register(client, world)
    other = app.test_client()
    login(other, world.other_owner)
    response = register(other, world)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "already registered to another owner" in page and "/my/dispute?" in page
    assert ownership_count(app) == 1
    dispute = other.post("/my/dispute", data={"gtin": world.gtin_a, "serial": world.serials_a[0],
                                               "message": "I bought it new in March and have the receipt."})
    assert dispute.status_code == 302


def test_the_qr_link_prefills_the_registration_form(app, client, world):
    login(client, world.owner)
    page = client.get(f"/my/register?gtin={world.gtin_a}&serial={world.serials_a[2]}").get_data(as_text=True)
    assert f'value="{world.serials_a[2]}"' in page


def test_the_proof_is_served_to_the_owner_and_the_manufacturer_only(app, client, world):
    login(client, world.owner)
    register(client, world, proof=(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "receipt.pdf"))
    with app.app_context():
        ownership_id, unit_id = db.session.execute(select(Ownership.id, Ownership.unit_id)).one()
    assert client.get(f"/my/units/{ownership_id}/proof").status_code == 200
    checks = [(world.other_owner, f"/my/units/{ownership_id}/proof", 404),
              (world.staff_a["claims_agent"], f"/console/acme/units/{unit_id}/proof", 200),
              (world.staff_b["admin"], f"/console/acme/units/{unit_id}/proof", 404),
              (world.staff_b["admin"], f"/console/bravo/units/{unit_id}/proof", 404)]
    for email, path, expected in checks:
        visitor = app.test_client()
        login(visitor, email)
        assert visitor.get(path).status_code == expected, (email, path)
    assert app.test_client().get(f"/my/units/{ownership_id}/proof").status_code == 302  # anonymous: sign in


def test_transfer_through_the_pages(app, client, world):
    login(client, world.owner)
    unit_page = register(client, world).headers["Location"]
    code_page = client.post(unit_page + "/transfer", follow_redirects=True).get_data(as_text=True)
    code = code_page.split('id="transfer-code" aria-labelledby="code-label">')[1].split("<")[0].strip()
    buyer = app.test_client()
    login(buyer, world.other_owner)
    assert "Acme One" in buyer.get(f"/transfer?code={code}").get_data(as_text=True)
    accepted = buyer.post("/transfer", data={"code": code, "purchased_on": date.today().isoformat()})
    assert accepted.status_code == 302
    assert "Acme One" in buyer.get("/my").get_data(as_text=True)
    assert "Acme One" not in client.get("/my").get_data(as_text=True)
    assert client.get(unit_page).status_code == 404
    reused = shown(buyer, buyer.post("/transfer", data={"code": code}))
    assert reused.status_code == 422 and "already been used" in reused.get_data(as_text=True)


def test_stolen_report_shows_on_the_public_page(app, client, world):
    login(client, world.owner)
    unit_page = register(client, world).headers["Location"]
    assert client.post(unit_page + "/stolen", data={"place": "Station"}).status_code == 302
    public = app.test_client().get(f"/01/{world.gtin_a}/21/{world.serials_a[0]}",
                                   follow_redirects=True).get_data(as_text=True)
    assert "Reported stolen" in public
    assert world.owner not in public  # no personal data on public pages


def test_owner_pages_of_another_owner_are_404(app, client, world):
    login(client, world.owner)
    unit_page = register(client, world).headers["Location"]
    other = app.test_client()
    login(other, world.other_owner)
    for suffix in ("", "/proof"):
        assert other.get(unit_page + suffix).status_code == 404
    for suffix in ("/transfer", "/stolen", "/recovered", "/transfer/cancel"):
        assert other.post(unit_page + suffix).status_code == 404


def test_the_owner_may_say_in_which_country_they_bought_it(app, client, world):
    """The country feeds the manufacturer's insights (docs/insights.md); anything but an ISO code is refused."""
    login(client, world.owner)
    assert 'name="country"' in client.get("/my/register").get_data(as_text=True)
    refused = register(client, world, country="ZZ")
    assert refused.status_code == 422 and "Choose a country from the list" in refused.get_data(as_text=True)
    assert ownership_count(app) == 0
    assert register(client, world, country="fr").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Ownership.country)) == "FR"
