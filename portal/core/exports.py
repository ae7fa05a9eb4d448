"""CSV for people: the one writer every CSV export goes through.

A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and treats a
leading tab or carriage return the same way once it trims them), so a serial or a remedy note typed as
`=HYPERLINK("https://evil.example", "Click")` would become a live link, or worse, in a staff member's
spreadsheet. Such a text cell is written with a leading apostrophe, which spreadsheets show as text and
which a reader of the raw file can still recognise. Numbers, dates and empty cells are written as they are.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, TextIO

#: The first characters that make a spreadsheet evaluate a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """`value` as a cell no spreadsheet evaluates; text that could start a formula gains a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer's writerow/writerows, with every cell passed through `neutralise`."""

    def __init__(self, out: TextIO, **fmtparams: Any) -> None:
        self._writer = csv.writer(out, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: TextIO, **fmtparams: Any) -> SafeWriter:
    """A writer for a CSV people will open, on the text stream `out`."""
    return SafeWriter(out, **fmtparams)


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """`rows` as the text of a CSV people will open."""
    out = io.StringIO()
    csv_writer(out).writerows(rows)
    return out.getvalue()
