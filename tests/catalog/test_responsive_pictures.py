"""The model's picture on the public and owner pages comes at the width the screen needs (issue 17): every page
that shows it carries `srcset` and `sizes`, a box size (width/height) and the right loading hints, and every URL
in its srcset answers 200 with a picture exactly as wide as the srcset says (read back with Pillow)."""
from __future__ import annotations

import io
import re
from datetime import date
from html import unescape

import pytest
from PIL import Image

from portal.catalog.models import ProductModel
from portal.core.storage import store_image
from portal.extensions import db
from tests.factories import build_world, login
from tests.support.resale import build_sale, make_proof
from tests.support.scanning import signed_label_uri

IMG = re.compile(r"<img\b[^>]*\bsrcset=[^>]*>", re.DOTALL)


def give_picture(app, model_id: int) -> None:
    """A 1600x1000 picture: wider than every width, so each variant is exactly as wide as named."""
    out = io.BytesIO()
    Image.linear_gradient("L").resize((1600, 1000)).convert("RGB").save(out, "PNG")
    from portal.catalog.services import set_model_image

    with app.app_context():
        set_model_image(db.session.get(ProductModel, model_id), store_image(out.getvalue(), "model.png"), actor="test")
        db.session.commit()


def attrs(tag: str) -> dict[str, str]:
    return {k: unescape(v) for k, v in re.findall(r'([a-z-]+)="([^"]*)"', tag)}


def check_picture(client, html: str, *, hero: bool) -> dict[str, str]:
    [tag] = IMG.findall(html)
    a = attrs(tag)
    assert a["sizes"] and a["width"] == "480" and a["height"] == "320" and a["decoding"] == "async"
    if hero:  # the first thing the page shows: fetched at once, first
        assert "loading" not in a and a["fetchpriority"] == "high"
    else:
        assert a["loading"] == "lazy"
    candidates = [c.strip().split(" ") for c in a["srcset"].split(",")]
    assert [w for _url, w in candidates] == ["240w", "480w", "960w"]
    for url, width in candidates:
        answer = client.get(url)
        assert answer.status_code == 200 and answer.mimetype == "image/webp", url
        with Image.open(io.BytesIO(answer.data)) as picture:
            assert picture.width == int(width[:-1]) and picture.height == round(1000 * picture.width / 1600)
    assert client.get(a["src"]).status_code == 200
    return a


@pytest.fixture
def world(app):
    world = build_world(app)
    give_picture(app, world.model_id_a)
    return world


def test_the_verdict_a_scan_lands_on_shows_a_responsive_hero_picture(app, client, world):
    uri = signed_label_uri(app, world.unit_ids_a[0])
    page = client.get(re.sub(r"^https?://[^/]+", "", uri).replace("/01/", "/verdict/01/", 1))
    assert page.status_code == 200
    a = check_picture(client, page.get_data(as_text=True), hero=True)
    assert "v=" in a["srcset"]  # versioned by the stored key: cacheable for a year


def test_the_resolver_product_page_and_the_typed_lookup(app, client, world):
    check_picture(client, client.get(f"/product/01/{world.gtin_a}").get_data(as_text=True), hero=True)
    typed = client.get(f"/lookup?gtin={world.gtin_a}&serial={world.serials_a[0]}")
    check_picture(client, typed.get_data(as_text=True), hero=False)


def test_the_owners_unit_page(app, client, world):
    from portal.accounts.services import find_user
    from portal.catalog.models import Unit
    from portal.ownership.services import register_unit

    with app.app_context():
        ownership = register_unit(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[0]),
                                  purchased_on=date(2025, 3, 1))
        db.session.commit()
        ownership_id = ownership.id
    login(client, world.owner)
    check_picture(client, client.get(f"/my/units/{ownership_id}").get_data(as_text=True), hero=True)


def test_a_resale_proofs_public_page(app, client):
    sale = build_sale(app)
    give_picture(app, sale.world.model_id_a)
    _proof_id, token = make_proof(app, sale)
    check_picture(client, client.get(f"/proof/{token}").get_data(as_text=True), hero=True)
