"""Calendar arithmetic the warranty rules and the monthly figures rely on."""
from __future__ import annotations

import calendar
from datetime import date

from sqlalchemy import func

from portal.core.extensions import db


def add_months(start: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31 January + 1 month = 28/29 February)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _utc_text(column, postgresql: str, sqlite: str):
    """SQL for a timestamp written as text in UTC, so GROUP BY works the same on both databases."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), postgresql)
    return func.strftime(sqlite, column)  # SQLite stores UTC already


def month_key(column):
    """A timestamp's calendar month as 'YYYY-MM' (UTC)."""
    return _utc_text(column, "YYYY-MM", "%Y-%m")


def day_key(column):
    """A timestamp's calendar day as 'YYYY-MM-DD' (UTC)."""
    return _utc_text(column, "YYYY-MM-DD", "%Y-%m-%d")


def last_months(count: int, today: date) -> list[str]:
    """The `count` calendar months up to and including today's, oldest first, as 'YYYY-MM'."""
    year, month = today.year, today.month
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]
