"""Large pictures: the pixel limit fits phone photos, a bigger one is refused before it is decoded, and a
claim photo's thumbnail is made once and then read from storage."""
from __future__ import annotations

import io
import time
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from portal.extensions import db
from portal.warranty.models import ClaimEntry, WarrantyClaim
from tests.factories import build_world
from tests.support.uploads import claim_point


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, format="PNG", optimize=True)  # one bit a pixel: a small file
    return out.getvalue()


def jpeg(width=1600, height=1200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (120, 30, 200)).save(out, format="JPEG")
    return out.getvalue()


def test_the_default_limit_is_what_a_phone_photo_needs(app):
    assert app.config["MAX_IMAGE_PIXELS"] == 24_000_000  # 6000 x 4000


def test_a_40_megapixel_picture_is_refused_at_once_without_decoding(app, client):
    world = build_world(app)
    send = claim_point(app, client, world)
    bomb = png(7300, 5440)  # 39.7 megapixels, the size the hostile test used
    assert len(bomb) < 200_000
    started = time.perf_counter()
    response = send(bomb, "big.png")
    elapsed = time.perf_counter() - started
    assert response.status_code in (400, 422) and "million pixels" in response.get_data(as_text=True)
    assert elapsed < 1.5, elapsed  # the header says the size; nothing is decoded


def _claim_photo(app, client, world) -> tuple[str, int, str]:
    send = claim_point(app, client, world)
    assert send(jpeg(), "front.jpg").status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(ClaimEntry).where(ClaimEntry.kind == "photo"))
        number = db.session.get(WarrantyClaim, entry.claim_id).number
        return number, entry.id, entry.file_key


def test_a_thumbnail_is_made_once_and_then_read_from_storage(app, client):
    world = build_world(app)
    number, entry_id, key = _claim_photo(app, client, world)
    folder = Path(app.config["UPLOAD_FOLDER"])
    url = f"/my/claims/{number}/photos/{entry_id}?size=thumb"
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "image/jpeg"
    thumb = folder / f"{Path(key).stem}.thumb.jpg"
    assert thumb.is_file()
    with Image.open(io.BytesIO(first.data)) as image:
        assert max(image.size) <= 480
    # The original is damaged now: had the thumbnail been decoded again, this would fail.
    (folder / key).write_bytes(b"not a picture any more")
    again = client.get(url)
    assert again.status_code == 200 and again.data == first.data


def test_removing_a_picture_removes_its_thumbnail(app, client):
    world = build_world(app)
    number, entry_id, key = _claim_photo(app, client, world)
    client.get(f"/my/claims/{number}/photos/{entry_id}?size=thumb")
    folder = Path(app.config["UPLOAD_FOLDER"])
    with app.app_context():
        from portal.core.storage import remove_stored

        assert remove_stored(key)
    assert not (folder / key).exists() and not (folder / f"{Path(key).stem}.thumb.jpg").exists()
