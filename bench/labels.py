"""Time QR codes and a label sheet, and print the figures.

    .venv/bin/python bench/labels.py                      # 1,000 codes, a 1,000-label sheet
    .venv/bin/python bench/labels.py --codes 10 --per-chunk 1008   # the whole run as one chunk
    .venv/bin/python bench/labels.py --codes 10 --baseline         # the sheet with qrcode's own SVGs

QR codes: qrcode left to itself (fits the version, scores all 8 masks) against the portal's fast path
(version from the length, one fixed mask, one stroke per run of dark modules), in CPU ms per code.
The sheet: wall and CPU seconds, pages, PDF size, and the process's peak RSS before and after (a
process-wide peak, so run once per setting). The machine is shared: trust CPU time over wall time.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import io
import re
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qrcode
from pypdf import PdfReader
from qrcode.image.svg import SvgPathImage

from portal.documents import labels as labels_module
from portal.documents.labels import LabelSpec, render_label_sheet
from portal.documents.qr import ERROR_CORRECTION, qr_code, qr_png, qr_svg


def uri(n: int) -> str:
    """Shaped like authenticity.labels.label_uri: about 160 characters."""
    sig = base64.urlsafe_b64encode(hashlib.sha512(str(n).encode()).digest()).decode().rstrip("=")
    return f"https://provenance.example.com/01/04099999000012/21/SN{n:08d}?n=1&k=Ab3_x-9Z&s={sig}"


def svg_qrcode_default(data: str) -> str:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECTION, image_factory=SvgPathImage)
    qr.add_data(data)
    return re.sub(r"^<\?xml[^>]*>\s*", "", qr.make_image().to_string(encoding="unicode"))


def svg_qrcode_fixed(data: str) -> str:
    """SvgPathImage on a fast-path symbol: shows what the fixed version and mask alone save."""
    return qr_code(data).make_image(image_factory=SvgPathImage).to_string(encoding="unicode")


def png_qrcode_default(data: str) -> bytes:
    buf = io.BytesIO()
    qrcode.make(data, error_correction=ERROR_CORRECTION, box_size=8).save(buf)
    return buf.getvalue()


def per_call_ms(fn: Callable[[str], object], uris: list[str]) -> float:
    """CPU time, which other processes on a shared machine disturb less than wall time."""
    start = time.process_time()
    for u in uris:
        fn(u)
    return (time.process_time() - start) * 1000 / len(uris)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", type=int, default=1000)
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--per-chunk", type=int, default=120)
    parser.add_argument("--baseline", action="store_true",
                        help="draw the sheet's codes with qrcode's default SvgPathImage instead, to compare")
    args = parser.parse_args()
    if args.baseline:
        labels_module.qr_svg = lambda data, border=4: svg_qrcode_default(data)

    uris = [uri(n) for n in range(args.codes)]
    print(f"QR codes: {args.codes} URIs of {min(map(len, uris))}-{max(map(len, uris))} characters, level Q")
    for name, fn in [("SVG qrcode default (SvgPathImage)", svg_qrcode_default),
                     ("SVG SvgPathImage, fixed version+mask", svg_qrcode_fixed),
                     ("SVG qr_svg (fast path)", qr_svg),
                     ("PNG qrcode default (PilImage)", png_qrcode_default),
                     ("PNG qr_png (fast path)", qr_png)]:
        print(f"  {name:<40} {per_call_ms(fn, uris):6.2f} ms each")

    specs = (LabelSpec(uri(n), "Trail Bike 29", "04099999000012", f"SN{n:08d}", n)
             for n in range(1, args.labels + 1))
    before = peak_rss_mb()
    out = io.BytesIO()
    start, cpu_start = time.perf_counter(), time.process_time()
    written = render_label_sheet(specs, out, per_chunk=args.per_chunk)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    after = peak_rss_mb()
    pages = len(PdfReader(io.BytesIO(out.getvalue())).pages)
    codes = "qrcode SvgPathImage codes" if args.baseline else "qr_svg codes"
    print(f"Label sheet ({codes}): {written} labels, per_chunk {args.per_chunk}: {seconds:.1f} s "
          f"({cpu:.1f} s CPU, {cpu * 1000 / written:.0f} ms a label), {pages} pages, "
          f"{len(out.getvalue()) / 1e6:.1f} MB PDF")
    print(f"  peak RSS {before:.0f} MB before, {after:.0f} MB after")


if __name__ == "__main__":
    main()
