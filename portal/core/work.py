"""One unit of work: run a service call, commit once, or roll back and turn the domain's refusal into
the caller's kind of answer (docs/architecture.md, "Writes")."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from portal.core.errors import DomainError
from portal.extensions import db

T = TypeVar("T")


def run_for_cli(work: Callable[[], T]) -> T:
    """Run `work` and commit; a domain refusal rolls back and becomes a clean command-line error."""
    try:
        result = work()
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(str(err)) from None
    db.session.commit()
    return result


def found_for_cli(value: T | None, missing: str) -> T:
    """`value`, or a clean command-line error saying what was `missing`."""
    if value is None:
        raise click.ClickException(missing)
    return value
