"""Path converters every area's rules share."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

#: Every table's key is a 32-bit integer (SQLAlchemy `Integer`): a larger number names no record.
MAX_RECORD_ID = 2**31 - 1


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in every rule: a whole number from 0 to MAX_RECORD_ID. A larger one matches no rule and
    answers 404 like any unknown record, instead of reaching the database, which refuses it (PostgreSQL:
    integer out of range; SQLite: past 64 bits) with a 500. The API's OpenAPI document states the bound."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = MAX_RECORD_ID, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
