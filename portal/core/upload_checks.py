"""What an upload really is, judged by its bytes and never by its name.

Refused, each with a message that says why: pictures with more pixels than MAX_IMAGE_PIXELS
(decompression bombs), SVG (it can carry scripts), files that are two things at once (a picture or a
PDF that is also a ZIP archive, a picture that is also a PDF, anything holding web-page markup), and
PDFs with scripts, actions or attached files (portal.core.pdf_checks).
"""
from __future__ import annotations

import io
import re
import warnings
import zipfile
import zlib

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from portal.core.errors import Invalid
from portal.core.i18n import number
from portal.core.pdf_checks import Verdict, pdf_verdict

IMAGE_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}

SVG_REFUSED = _l("SVG pictures are not accepted, because they can carry scripts. Upload a JPEG, PNG or WebP picture.")
PDF_ACTIVE = _l("This PDF contains scripts or actions that run when it is opened, which are not accepted. Save or "
                "print it as a new PDF, or send a photo of the receipt.")
PDF_TOO_DEEP = _l("This PDF unpacks to more than we check. Send a smaller PDF or a photo of the receipt.")
PDF_EMBEDDED = _l("This PDF carries attached files, which are not accepted. Save or print it as a new PDF, or send "
                  "a photo of the receipt.")
#: Markup a browser would run if it ever treated the file as a page.
_MARKUP = re.compile(rb"<\s*(?:script|html|body|iframe|object|embed|svg|\?php)[\s>/]|<!doctype\s+html", re.IGNORECASE)
#: PDF names that run something when the document is opened or clicked; `(?![A-Za-z0-9])` keeps /JSON-like
#: names out. A quick first look at the raw bytes and Flate streams; pdf_checks then parses every object
#: (embedded files, other actions and other stream encodings included).
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|RichMedia|XFA|SubmitForm|ImportData|GoToE)(?![A-Za-z0-9])")
_PDF_HEX_NAME = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"stream\r?\n")
#: Decompressed bytes a PDF's streams may add up to before we stop and refuse it (a zip bomb in a PDF).
PDF_INFLATE_BUDGET = 128 * 1024 * 1024


def pixel_limit() -> int:
    """The pixel ceiling from the settings, applied to Pillow itself too (its bomb check then agrees)."""
    limit = int(current_app.config["MAX_IMAGE_PIXELS"])
    Image.MAX_IMAGE_PIXELS = limit
    return limit


def too_many_pixels(limit: int, size: tuple[int, int] | None = None) -> Invalid:
    millions = number(limit / 1_000_000)
    if size:
        return Invalid(_("The picture is too large (%(width)s × %(height)s pixels): at most %(millions)s million "
                         "pixels are accepted. Send a smaller picture.",
                         width=number(size[0]), height=number(size[1]), millions=millions))
    return Invalid(_("The picture is too large: at most %(millions)s million pixels are accepted. "
                     "Send a smaller picture.", millions=millions))


def looks_like_svg(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and b"<svg" in head


def foreign_content(data: bytes, *, own: str) -> str | None:
    """Another kind of file hidden in this one (a polyglot), named for the message; None when clean."""
    if own != "PDF" and b"%PDF-" in data:
        return _("a PDF document")
    if data.startswith(b"PK\x03\x04") or zipfile.is_zipfile(io.BytesIO(data)):
        return _("a ZIP archive")
    if _MARKUP.search(data):
        return _("web page code")
    return None


def inspect_image(data: bytes, *, message: str, field: str | None = None) -> str:
    """The picture's format (JPEG, PNG or WEBP), or Invalid saying why it is refused."""
    if looks_like_svg(data):
        raise Invalid(str(SVG_REFUSED), field=field)
    limit = pixel_limit()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)  # refuse bombs, do not just warn
        try:
            with Image.open(io.BytesIO(data)) as probe:
                kind, size = probe.format, probe.size
                if size[0] * size[1] > limit:
                    raise too_many_pixels(limit, size)
                probe.verify()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise Invalid(str(too_many_pixels(limit)), field=field) from None
        except Invalid as err:
            err.field = field
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, zlib.error):
            raise Invalid(message, field=field) from None
    if kind not in IMAGE_TYPES:
        raise Invalid(message, field=field)
    other = foreign_content(data, own=kind)
    if other:
        raise Invalid(_("This picture also contains %(other)s, so it is not accepted. Send the photo itself "
                        "(a fresh JPEG, PNG or WebP).", other=other), field=field)
    return kind


def inspect_pdf(data: bytes, *, field: str | None = None) -> None:
    """A plain PDF document: complete, not also another file, nothing that runs when it is opened."""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise Invalid(_("The PDF is incomplete or damaged."), field=field)
    other = foreign_content(data, own="PDF")
    if other:
        raise Invalid(_("This PDF also contains %(other)s, so it is not accepted. Save or print it as a new PDF.",
                        other=other), field=field)
    if _has_active_content(data):
        raise Invalid(str(PDF_ACTIVE), field=field)
    # The same question put to a real parser, every object and every stream decoded (portal.core.pdf_checks).
    verdict = pdf_verdict(data)
    if verdict is not None:
        raise Invalid(str({Verdict.ACTIVE: PDF_ACTIVE, Verdict.EMBEDDED: PDF_EMBEDDED, Verdict.TOO_DEEP: PDF_TOO_DEEP}
                          .get(verdict) or _("The PDF is incomplete or damaged.")), field=field)


def _has_active_content(data: bytes) -> bool:
    """Look for the names in the file and in every Flate stream (object streams hide dictionaries there).

    Names may be spelled with #xx escapes (/J#61vaScript), so those are decoded before matching."""
    if _PDF_ACTIVE.search(_PDF_HEX_NAME.sub(lambda m: bytes([int(m.group(1), 16)]), data)):
        return True
    budget = PDF_INFLATE_BUDGET
    for match in _STREAM.finditer(data):
        end = data.find(b"endstream", match.end())
        if end < 0:
            break
        inflater, tail, carry = zlib.decompressobj(), data[match.end():end], b""
        try:
            while tail and budget > 0:
                piece = inflater.decompress(tail, 1 << 20)
                tail = inflater.unconsumed_tail
                budget -= len(piece)
                window = carry + piece
                if _PDF_ACTIVE.search(_PDF_HEX_NAME.sub(lambda m: bytes([int(m.group(1), 16)]), window)):
                    return True
                carry = window[-64:]  # a name split across two pieces still matches
                if not piece:
                    break
        except zlib.error:
            continue  # not Flate (a JPEG image stream, say): nothing to unpack
        if budget <= 0:
            raise Invalid(str(PDF_TOO_DEEP))
    return False
