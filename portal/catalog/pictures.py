"""A product model's picture at a few widths, for `srcset`: made once from the stored original and kept.

The original was checked and re-encoded when it was uploaded (core/storage.store_image: real picture,
size and pixel limits). Each width is a WebP beside it, named after the original's key, so a new picture
gets new variants and its URLs change (the pages add the key as `v=`, and the answer may be cached a year).
"""
from __future__ import annotations

import io
import secrets
import warnings
from pathlib import Path

from PIL import Image, ImageOps

from portal.core.storage import new_stored, open_stored
from portal.core.upload_checks import pixel_limit

#: The widths pages ask for (a card's picture on a phone at 1x, 2x and 3x, a product page at 2x).
WIDTHS = (240, 480, 960)


def nearest_width(asked: int) -> int:
    """The smallest stored width at least as wide as asked (the largest when none is)."""
    return next((w for w in WIDTHS if w >= asked), WIDTHS[-1])


def variant_key(key: str, width: int) -> str:
    return f"{Path(key).stem}.w{width}.webp"


def picture_variant(key: str, width: int) -> Path:
    """The stored picture `key` at most `width` pixels wide (never enlarged); FileNotFoundError when gone."""
    width = nearest_width(width)
    try:
        return open_stored(variant_key(key, width))
    except FileNotFoundError:
        pass
    source = open_stored(key)
    limit = pixel_limit()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _resize(source, key, width, limit)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise FileNotFoundError(key) from None  # stored before the limit was lowered: never decoded


def _resize(source: Path, key: str, width: int, limit: int) -> Path:
    with Image.open(source) as image:
        if image.width * image.height > limit:
            raise FileNotFoundError(key)
        image.draft("RGB", (width, width * 4))  # JPEG: decode at a reduced scale when that is enough
        image = ImageOps.exif_transpose(image)
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")
        if image.width > width:
            image = image.resize((width, max(1, round(image.height * width / image.width))), Image.LANCZOS)
        out = io.BytesIO()
        image.save(out, format="WEBP", quality=82, method=4)
    target = new_stored(variant_key(key, width))
    partial = target.with_name(f"{target.name}.{secrets.token_hex(4)}.part")
    partial.write_bytes(out.getvalue())
    partial.replace(target)  # two requests at once both write; each replace is whole
    return target


def prepare(key: str) -> None:
    """Make every width now (after an upload), so the first owner to look does not wait for it."""
    for width in WIDTHS:
        picture_variant(key, width)
