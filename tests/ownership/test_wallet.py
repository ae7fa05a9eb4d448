"""My products as a wallet (issue 17): pictures at a few widths, status chips, a claim waiting for the owner,
no "Sold" badge or doubled "Covered", the scanner one tap away, and staff landing on their console."""
import io
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.catalog.models import ProductModel, Unit
from portal.catalog.pictures import WIDTHS
from portal.catalog.services import set_model_image
from portal.core.storage import store_image
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.ownership.services import register_unit
from portal.warranty import services as warranty
from tests.factories import build_world, login


@pytest.fixture
def world(app):
    return build_world(app)


def png(width=1600, height=1000, colour=(30, 90, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def own(app, world, index=0) -> int:
    with app.app_context():
        ownership = register_unit(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[index]),
                                  purchased_on=date.today() - timedelta(days=30), retailer="Acme Boutique", proof=None)
        db.session.commit()
        return ownership.id


def give_picture(app, world) -> str:
    with app.test_request_context():
        model = db.session.get(ProductModel, world.model_id_a)
        set_model_image(model, store_image(png(), "one.png"), actor="test")
        db.session.commit()
        return model.image_path


def test_my_products_shows_each_picture_at_three_widths_and_the_standing_in_chips(app, client, world):
    own(app, world)
    key = give_picture(app, world)
    login(client, world.owner)
    page = client.get("/my").get_data(as_text=True)
    srcset = re.search(r'srcset="([^"]+)"', page).group(1)
    stem = key.rsplit(".", 1)[0]
    for width in WIDTHS:
        assert f"/models/{world.model_id_a}/image?w={width}&amp;v={stem} {width}w" in srcset
    assert 'sizes="(min-width: 720px) 200px, 112px"' in page
    chips = re.search(r'<ul class="chips".*?</ul>', page, re.DOTALL).group(0)
    assert "Covered until" in chips
    assert ">Sold<" not in page and "badge ok\">Sold" not in page


def test_picture_widths_are_webp_never_wider_than_asked_and_cached_by_key(app, client, world):
    key = give_picture(app, world)
    stem = key.rsplit(".", 1)[0]
    for width in WIDTHS:
        answer = client.get(f"/models/{world.model_id_a}/image?w={width}&v={stem}")
        assert answer.status_code == 200 and answer.mimetype == "image/webp"
        assert Image.open(io.BytesIO(answer.data)).size == (width, round(1000 * width / 1600))
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # An odd width is answered with the next stored one; an old key is cached a day only.
    odd = client.get(f"/models/{world.model_id_a}/image?w=300&v=old")
    assert Image.open(io.BytesIO(odd.data)).width == 480
    assert odd.headers["Cache-Control"] == "public, max-age=86400"
    assert client.get(f"/models/{world.model_id_a}/image?w=abc").status_code == 200  # the original


def test_a_picture_too_large_to_decode_safely_is_refused_and_never_resized(app, client, world):
    key = give_picture(app, world)
    app.config["MAX_IMAGE_PIXELS"] = 1000  # the limit lowered after the upload: the stored picture is now too big
    try:
        assert client.get(f"/models/{world.model_id_a}/image?w=240").status_code == 404
    finally:
        app.config["MAX_IMAGE_PIXELS"] = 24_000_000
    with app.test_request_context():
        app.config["MAX_IMAGE_PIXELS"] = 1000
        with pytest.raises(Exception) as refused:
            store_image(png(), "big.png")
        app.config["MAX_IMAGE_PIXELS"] = 24_000_000
    assert "too large" in str(refused.value)
    assert key


def test_console_upload_stores_every_width_at_once(app, client, world):
    login(client, world.staff_a["admin"])
    page = client.get(f"/console/acme/models/{world.model_id_a}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page)
    data = {"image": (io.BytesIO(png(1200, 800)), "watch.png")}
    if token:
        data["csrf_token"] = token.group(1)
    answer = client.post(f"/console/acme/models/{world.model_id_a}/image", data=data,
                         content_type="multipart/form-data")
    assert answer.status_code == 302
    with app.app_context():
        key = db.session.get(ProductModel, world.model_id_a).image_path
    from pathlib import Path
    folder = Path(app.config["UPLOAD_FOLDER"])
    stem = key.rsplit(".", 1)[0]
    assert sorted(p.name for p in folder.glob(f"{stem}.w*.webp")) == sorted(f"{stem}.w{w}.webp" for w in WIDTHS)


def test_the_warranty_reads_covered_once(app, client, world):
    ownership_id = own(app, world)
    login(client, world.owner)
    page = client.get(f"/my/units/{ownership_id}").get_data(as_text=True)
    assert "Covered until" in page
    assert not re.search(r"Covered\s*(</span>)?\s*Covered", page)
    assert ">Sold<" not in page


def test_a_claim_waiting_for_the_owner_is_flagged_on_my_products(app, client, world):
    ownership_id = own(app, world)
    with app.app_context():
        owner = find_user(world.owner)
        unit = db.session.scalar(select(Ownership).where(Ownership.id == ownership_id)).unit
        claim = warranty.file_claim(owner, unit, category="does_not_work", description="It stopped after a week.",
                                    started_on=None)
        db.session.commit()
        number = claim.number
    login(client, world.owner)
    assert "Claim waiting for you" not in client.get("/my").get_data(as_text=True)
    with app.app_context():
        from portal.warranty.models import WarrantyClaim
        claim = db.session.scalar(select(WarrantyClaim).where(WarrantyClaim.number == number))
        agent = find_user(world.staff_a["claims_agent"])
        warranty.move(claim, "in_review", actor=agent, role="agent")
        warranty.move(claim, "info_requested", actor=agent, role="agent", note="Which strap?")
        db.session.commit()
    page = client.get("/my").get_data(as_text=True)
    assert "Claim waiting for you" in page
    assert f'href="/my/claims/{number}"' in page or f"/claims/{number}" in page


def test_staff_land_on_their_console_after_signing_in_and_owners_on_my_products(app, client, world):
    assert login(client, world.staff_a["admin"]).headers["Location"].endswith("/console/")
    assert login(app.test_client(), world.owner).headers["Location"].endswith("/my")


@pytest.mark.parametrize("path", ["/", "/lookup", "/my", "/my/register"])
def test_the_scanner_is_one_tap_away(app, client, world, path):
    login(client, world.owner)
    page = client.get(path).get_data(as_text=True)
    nav = re.search(r'<nav class="nav".*?</nav>', page, re.DOTALL).group(0)
    assert 'class="nav-scan" href="/scan"' in nav
    if path in ("/my", "/my/register"):
        assert 'href="/scan?then=register"' in page
    else:
        assert re.search(r'class="button[^"]*scan-link[^"]*" href="/scan"', page)


def test_an_ended_warranty_says_when_it_ended(app, client, world):
    from portal.catalog.services import create_unit

    with app.app_context():
        maker = db.session.get(ProductModel, world.model_id_a).manufacturer
        old = create_unit(maker, gtin=world.gtin_a, serial="ACME-OLD1", manufactured_on=date(2015, 1, 10), actor="test")
        register_unit(find_user(world.owner), old, purchased_on=None, retailer="", proof=None)
        db.session.commit()
    login(client, world.owner)
    chips = re.findall(r'<li class="chip[^"]*">([^<]+)</li>', client.get("/my").get_data(as_text=True))
    assert "Warranty ended 10 Apr 2017" in chips  # 24 months from the manufacture date plus 90 days
