"""A clone alert's evidence for its reader. Alerts store their evidence as the English sentence the check
wrote (clones.py), so the record reads the same in every export and audit; pages show it in the reader's
language when it is one of those sentences."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

#: The sentences clones.py writes, with the message each reads as.
SENTENCES = (
    (re.compile(r"(?P<clients>[\d,]+) different devices scanned it within (?P<minutes>\d+) min"),
     _l("%(clients)s different devices scanned it within %(minutes)s min")),
    (re.compile(r"(?P<strangers>[\d,]+) devices other than its owner's scanned this registered unit within "
                r"(?P<minutes>\d+) min"),
     _l("%(strangers)s devices other than its owner's scanned this registered unit within %(minutes)s min")),
    (re.compile(r"scanned (?P<km>[\d,]+) km apart within (?P<minutes>\d+) min \((?P<kmh>[\d,]+) km/h\)"),
     _l("scanned %(km)s km apart within %(minutes)s min (%(kmh)s km/h)")),
)


def evidence_for_reader(evidence: str | None) -> str:
    """The stored evidence in the reader's language; anything else as stored."""
    for pattern, message in SENTENCES:
        if found := pattern.fullmatch(evidence or ""):
            return str(message) % found.groupdict()
    return evidence or ""
