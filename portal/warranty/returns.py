"""Manufacturers' return addresses: one per country their owners send from, and a default for the rest.

Writes here flush and never commit (docs/architecture.md, "Reads and writes"); the console page and the API
call them and commit. `address_for` is the read the RMA document uses.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from babel import Locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Invalid, NotFound
from portal.core.i18n import current_language
from portal.extensions import db
from portal.warranty.models import ReturnAddress

MAX_LINES = 6
MAX_LINE = 80
#: Codes CLDR lists that ISO 3166-1 has not assigned to a country (the EU, the UN, private use, unknown).
_NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"})


@cache
def country_codes() -> frozenset[str]:
    return frozenset(k for k in Locale("en").territories if len(k) == 2 and k.isalpha()) - _NOT_COUNTRIES


def country_name(code: str, language: str = "en") -> str:
    return Locale.parse(language).territories.get(code, code) if code else ""


def country_label(code: str) -> str:
    """A country's name in the reader's language (a template filter)."""
    return country_name(code, current_language())


def parse_country(value: str | None, *, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 code upper-cased, "" for none given; Invalid for anything else."""
    text = (value or "").strip().upper()
    if text and text not in country_codes():
        raise Invalid(_("Choose a country from the list (a two-letter ISO code such as FR or DE)."), field=field)
    return text


def parse_lines(text: str | None) -> str:
    """The address as typed: blank lines dropped, each line trimmed, at most six lines of 80 characters."""
    lines = [" ".join(line.split()) for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise Invalid(_("Write the postal address, one line per line."), field="lines")
    if len(lines) > MAX_LINES or any(len(line) > MAX_LINE for line in lines):
        raise Invalid(_("An address has at most %(lines)d lines of %(chars)d characters.", lines=MAX_LINES,
                        chars=MAX_LINE), field="lines")
    if any(ord(c) < 32 for line in lines for c in line):
        raise Invalid(_("Write the postal address, one line per line."), field="lines")
    return "\n".join(lines)


@dataclass(frozen=True)
class Address:
    id: int
    country: str  # "" for the default
    lines: tuple[str, ...]


def _plain(row: ReturnAddress) -> Address:
    return Address(row.id, row.country, tuple(row.lines.splitlines()))


def addresses_of(manufacturer_id: int) -> list[Address]:
    """The manufacturer's return addresses, the default first, then by country code."""
    rows = db.session.scalars(select(ReturnAddress).where(ReturnAddress.manufacturer_id == manufacturer_id)
                              .order_by(ReturnAddress.country))
    return [_plain(r) for r in rows]


def address_for(manufacturer_id: int, country: str | None) -> Address | None:
    """The address for owners in `country`, else the default, else None (the manufacturer kept none)."""
    rows = {r.country: r for r in db.session.scalars(select(ReturnAddress).where(
        ReturnAddress.manufacturer_id == manufacturer_id, ReturnAddress.country.in_({(country or "").upper(), ""})))}
    row = rows.get((country or "").upper()) or rows.get("")
    return _plain(row) if row else None


def save_address(manufacturer_id: int, country: str | None, lines: str | None, *, actor) -> ReturnAddress:
    """Set the address for a country ("" or None: the default), replacing the one it had."""
    code, text = parse_country(country), parse_lines(lines)
    row = db.session.scalar(select(ReturnAddress).where(ReturnAddress.manufacturer_id == manufacturer_id,
                                                        ReturnAddress.country == code))
    if row is None:
        row = ReturnAddress(manufacturer_id=manufacturer_id, country=code, lines=text)
        db.session.add(row)
    row.lines, row.updated_at = text, utcnow()
    db.session.flush()
    audit.log(actor, "return_address.saved", row, country=code or "default")
    return row


def remove_address(manufacturer_id: int, country: str | None, *, actor) -> None:
    code = parse_country(country)
    row = db.session.scalar(select(ReturnAddress).where(ReturnAddress.manufacturer_id == manufacturer_id,
                                                        ReturnAddress.country == code))
    if row is None:
        raise NotFound(_("There is no return address for this country."))
    audit.log(actor, "return_address.removed", row, country=code or "default")
    db.session.delete(row)
    db.session.flush()
