"""QR codes for printed labels and pages: an SVG to inline in HTML/WeasyPrint, a PNG to download.

No Flask and no database here, so label jobs, views and the CLI can all use it.

Speed matters because a label run draws one code per label: left to itself, `qrcode` picks the
version by fitting and then builds the symbol 8 times to score every mask pattern, which is most of
its time. We pick the version once per data length and use one fixed mask (any mask is valid to
decoders; the choice only tunes how scanner-friendly the pattern looks), and we write the SVG path
from the module matrix ourselves, one stroke per run of dark modules: a quarter of the path length of
`qrcode.image.svg.SvgPathImage`, which WeasyPrint draws 3-4 times faster (figures in bench/labels.py).
"""
from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from PIL import Image, ImageOps
from qrcode import constants, exceptions, util

# Level Q: printed labels get scuffed, smudged and partly torn; Q restores up to 25% of the symbol
# (M only 15%). It costs two versions for our 120-170 character URIs (10-11 instead of 8-9): on a
# 29 mm label code that is 0.48 mm modules instead of 0.55 mm, still easy for phone cameras.
ERROR_CORRECTION = constants.ERROR_CORRECT_Q

# Mask 2 (dark where column % 3 == 0) scored best by qrcode's own penalty rule over 400 label URIs
# shaped like authenticity.labels.label_uri (151-171 characters): on average 1.03x the penalty of the
# best mask for each URI, never worse than 1.24x (the next best, mask 3: 1.06x, 1.27x).
FIXED_MASK = 2


@lru_cache(maxsize=256)
def version_for(nbytes: int) -> int:
    """Smallest QR version holding `nbytes` bytes in byte mode at level Q (cached: lengths repeat)."""
    limits = util.BIT_LIMIT_TABLE[ERROR_CORRECTION]
    for version in range(1, 41):
        needed = 4 + util.length_in_bits(util.MODE_8BIT_BYTE, version) + 8 * nbytes
        if needed <= limits[version]:
            return version
    raise exceptions.DataOverflowError(f"{nbytes} bytes do not fit in a QR code at level Q")


def qr_code(data: str, *, fast: bool = True) -> qrcode.QRCode:
    """A made QRCode for `data` at level Q (byte mode). `fast=False` lets qrcode choose version and mask."""
    payload = data.encode("utf-8")
    if fast:
        qr = qrcode.QRCode(version=version_for(len(payload)), error_correction=ERROR_CORRECTION,
                           border=0, mask_pattern=FIXED_MASK)
    else:
        qr = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=0)
    qr.add_data(util.QRData(payload, mode=util.MODE_8BIT_BYTE))
    qr.make(fit=not fast)
    return qr


def _check_int(name: str, value: int, minimum: int) -> None:
    if not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int of at least {minimum}, got {value!r}")


def qr_svg(data: str, *, border: int = 4) -> str:
    """An `<svg>` element with one `<path>` and a viewBox (no width/height: size it with CSS).

    No XML declaration, so it can be inlined in HTML and WeasyPrint documents. One unit of the
    viewBox is one module; `border` is the quiet zone in modules (0 when the page gives white space).
    Each run of dark modules in a row is one stroke 1 module thick: 3 numbers per run where filled
    rectangles need 5, and WeasyPrint's path drawing cost grows with the numbers it parses.
    """
    _check_int("border", border, 0)
    modules = qr_code(data).modules
    parts: list[str] = []
    for y, row in enumerate(modules):
        x, n, row_end = 0, len(row), None
        while x < n:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < n and row[x]:
                x += 1
            # A relative move to the next run in the same row keeps the path short.
            move = f"M{start + border} {y + border}.5" if row_end is None else f"m{start - row_end} 0"
            parts.append(f"{move}h{x - start}")
            row_end = x
    size = len(modules) + 2 * border
    path = f'<path fill="none" stroke="#000" stroke-width="1" d="{"".join(parts)}"/>'
    head = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
    return f"{head}{path}</svg>"


def qr_png(data: str, *, box_size: int = 8) -> bytes:
    """PNG bytes (1-bit, black on white, 4-module quiet zone), `box_size` pixels per module."""
    _check_int("box_size", box_size, 1)
    modules = qr_code(data).modules
    core = Image.new("1", (len(modules), len(modules)))
    core.putdata([0 if dark else 1 for row in modules for dark in row])
    image = ImageOps.expand(core, border=4, fill=1)
    image = image.resize((image.width * box_size, image.height * box_size), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    return buf.getvalue()
