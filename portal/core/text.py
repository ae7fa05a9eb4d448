"""Text that must stay on one line: names and titles that reach e-mail headers, feeds and CSV rows.

A carriage return or line feed in a product name would end up in a Subject header, where the mail library
refuses it (the message could then never be sent) and a looser one would start a new header. Such fields
are refused at input, with the field named, rather than cleaned silently.
"""
from __future__ import annotations

import re

from portal.core.errors import Invalid

#: Line breaks of every kind (CR, LF, VT, FF, NEL, LS, PS) and the other C0/C1 control characters but tab.
_NOT_ONE_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def is_single_line(value: str) -> bool:
    return not _NOT_ONE_LINE.search(value or "")


def single_line(value: str | None, *, field: str, what: str) -> str:
    """`value` stripped, or Invalid naming `what` when it holds a line break or a control character."""
    text = (value or "").strip()
    if not is_single_line(text):
        raise Invalid(f"{what} must be a single line, without line breaks or control characters.", field=field)
    return text
