"""ISO 3166-1 alpha-2 country codes: the codes a sale or an owner's country may carry.

The list is Babel's (CLDR) territories with two letters, less the codes CLDR adds that ISO 3166-1 has not
assigned to a country (reserved ones such as EU, UN, the private-use XA, XB, XK, QO, ZZ).
"""
from __future__ import annotations

import unicodedata
from functools import cache

from babel import Locale
from flask_babel import gettext as _

from portal.core.errors import Invalid

NOT_ASSIGNED = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"})


@cache
def codes() -> frozenset[str]:
    return frozenset(k for k in Locale("en").territories if len(k) == 2 and k.isalpha()) - NOT_ASSIGNED


def name_key(name: str) -> str:
    """Sort countries by their letters without accents, as a reader looks for them: Bénin among the B's before
    Burundi, Ägypten among the A's, Österreich among the O's (a plain sort puts accented names last)."""
    return "".join(c for c in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(c))


def country_code(value: str | None, *, field: str = "country") -> str | None:
    """The code upper-cased, None for nothing given; anything else raises Invalid naming `field`."""
    text = (value or "").strip().upper()
    if not text:
        return None
    if text not in codes():
        raise Invalid(_("Choose a country from the list (a two-letter ISO 3166-1 code such as FR, DE or GB)."),
                      field=field)
    return text
