"""The model's picture on the verdict and product pages in Chromium (issue 17): the browser picks a width from
the srcset for its screen, the box keeps its place while the picture loads, and the pages look right at 390x844
and 1280x900. Screenshots: docs/screenshots/picture-{verdict,product}-{phone,desktop}.png."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from portal.catalog.models import ProductModel
from portal.catalog.services import set_model_image
from portal.core.storage import store_image
from portal.extensions import db
from tests.factories import build_world
from tests.support.scanning import signed_label_uri, verdict_on_server

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def picture() -> bytes:
    image = Image.new("RGB", (1600, 1000), (245, 243, 238))
    draw = ImageDraw.Draw(image)
    draw.ellipse((500, 200, 1100, 800), outline=(40, 60, 90), width=40)
    draw.line((800, 500, 800, 300), fill=(40, 60, 90), width=24)
    draw.line((800, 500, 950, 560), fill=(40, 60, 90), width=18)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_the_verdict_and_product_pages_fetch_the_picture_for_the_screen(app, phone, desktop, live_server):
    world = build_world(app)
    with app.app_context():
        set_model_image(db.session.get(ProductModel, world.model_id_a), store_image(picture(), "watch.png"), actor="t")
        db.session.commit()
    verdict = verdict_on_server(signed_label_uri(app, world.unit_ids_a[0]), live_server)
    for kind, page in (("phone", phone), ("desktop", desktop)):
        for name, url in (("verdict", verdict), ("product", f"/product/01/{world.gtin_a}")):
            page.goto(url)
            img = page.locator("img.product-image")
            img.evaluate("i => i.decode()")
            box = img.bounding_box()
            chosen, complete = img.evaluate("i => [i.currentSrc, i.complete && i.naturalWidth > 0]")
            # the layout slot (`sizes`) times the pixel ratio picks the width: 342px at 2x on the phone takes the
            # 960 (the 480 would be blurred), 360px at 1x on the desktop the 480
            assert complete and f"w={960 if kind == 'phone' else 480}" in chosen, (kind, chosen)
            assert img.get_attribute("loading") is None and img.get_attribute("fetchpriority") == "high"
            assert box and box["height"] > 100 and box["width"] <= (390 if kind == "phone" else 560)
            page.screenshot(path=str(DOCS / f"picture-{name}-{kind}.png"), full_page=True)
