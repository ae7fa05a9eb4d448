"""Calendar arithmetic inside SQL, alike on PostgreSQL and SQLite, so every insight stays one grouped statement.

Dates become whole numbers the database can subtract and group: a *day number* (days since 1970-01-01) and
a *month number* (year × 12 + month − 1). Timestamps are read as their UTC calendar date, as the console's
other monthly figures are (`portal.core.dates.month_key`).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

EPOCH = date(1970, 1, 1)


class _Calendar(FunctionElement):
    type = Integer()
    inherit_cache = True

    def __init__(self, expr, *, timestamp: bool = False):
        self.timestamp = timestamp
        super().__init__(expr)


class day_number(_Calendar):
    """Days since 1970-01-01 of a date (or of a timestamp's UTC date)."""

    name = "day_number"
    inherit_cache = True


class month_number(_Calendar):
    """year × 12 + month − 1 of a date (or of a timestamp's UTC date)."""

    name = "month_number"
    inherit_cache = True


def _arg(element, compiler, **kw) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(day_number, "postgresql")
def _day_pg(element, compiler, **kw):
    value = _arg(element, compiler, **kw)
    if element.timestamp:
        value = f"CAST(timezone('UTC', {value}) AS DATE)"
    return f"({value} - DATE '1970-01-01')"


@compiles(day_number)
def _day_sqlite(element, compiler, **kw):
    return f"CAST(julianday(date({_arg(element, compiler, **kw)})) - 2440587.5 AS INTEGER)"


@compiles(month_number, "postgresql")
def _month_pg(element, compiler, **kw):
    value = _arg(element, compiler, **kw)
    if element.timestamp:
        value = f"timezone('UTC', {value})"
    return f"(CAST(EXTRACT(YEAR FROM {value}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {value}) AS INTEGER) - 1)"


@compiles(month_number)
def _month_sqlite(element, compiler, **kw):
    value = _arg(element, compiler, **kw)
    return f"(CAST(strftime('%Y', {value}) AS INTEGER) * 12 + CAST(strftime('%m', {value}) AS INTEGER) - 1)"


def day_of(day: date) -> int:
    return (day - EPOCH).days


def date_of(number: int) -> date:
    return EPOCH + timedelta(days=number)


def month_of(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_label(number: int) -> str:
    """'YYYY-MM' of a month number."""
    return f"{number // 12:04d}-{number % 12 + 1:02d}"
