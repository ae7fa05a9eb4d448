"""Printable label sheets: A4 pages of 3 x 8 labels (70 x 37 mm stock), each a QR code plus readable text.

Rendered through WeasyPrint a chunk of whole pages at a time, and the chunks' pages joined with pypdf,
so a run of thousands of labels never holds more than one chunk's HTML and layout in memory. No Flask:
a background job or the CLI can call it as well as a view.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import BinaryIO

from flask_babel import gettext as _
from markupsafe import Markup
from pypdf import PdfReader, PdfWriter

from portal.core.i18n import current_language
from portal.documents.env import document_env
from portal.documents.qr import qr_svg

COLUMNS, ROWS = 3, 8
LABELS_PER_PAGE = COLUMNS * ROWS

_env = document_env()


@dataclass(frozen=True)
class LabelSpec:
    """One printed label: the URI in its QR code and the text printed beside it."""

    uri: str
    product_name: str
    gtin: str  # printed as given: pass the GTIN-14
    serial: str
    label_number: int


def _pages(chunk: list[LabelSpec]) -> Iterator[list[tuple[LabelSpec, Markup]]]:
    for start in range(0, len(chunk), LABELS_PER_PAGE):
        # border=0: the label's white margin around the code is its quiet zone (see the template).
        yield [(label, Markup(qr_svg(label.uri, border=0))) for label in chunk[start:start + LABELS_PER_PAGE]]


def render_label_sheet(labels: Iterable[LabelSpec], out: BinaryIO, *, per_chunk: int = 120,
                       progress: Callable[[int], None] | None = None) -> int:
    """Write one PDF of label sheets to `out`; return how many labels it holds.

    `labels` is read lazily, `per_chunk` at a time (a multiple of 24, so every chunk but the last fills
    whole pages and no label stock is skipped mid-run); `progress(done)` is called after each chunk.
    Raises ValueError when `labels` is empty: a PDF without pages is no use to a printer.
    """
    from weasyprint import HTML  # heavy: loaded when a sheet is drawn, not when the portal starts

    if per_chunk < 1 or per_chunk % LABELS_PER_PAGE:
        raise ValueError(f"per_chunk must be a positive multiple of {LABELS_PER_PAGE}, got {per_chunk}")
    template = _env.get_template("documents/label_sheet.html")
    # Translated once per sheet, not once per label: a run can hold a million labels.
    words = {"lang": current_language(), "serial_word": _("Serial"), "label_word": _("Label")}
    writer = PdfWriter()
    items = iter(labels)
    done = 0
    while chunk := list(islice(items, per_chunk)):
        pdf = HTML(string=template.render(pages=_pages(chunk), **words)).write_pdf()
        for page in PdfReader(io.BytesIO(pdf)).pages:
            writer.add_page(page)
        done += len(chunk)
        del chunk, pdf  # only the joined pages outlive the chunk
        if progress is not None:
            progress(done)
    if done == 0:
        raise ValueError("no labels to render")
    writer.add_metadata({"/Title": f"Labels ({done})", "/Producer": "Provenance"})
    writer.write(out)
    return done
