"""One unit of work: run a service call, commit once, or roll back and turn the domain's refusal into the
caller's kind of answer: a command-line error, or a message on the page (docs/architecture.md, "Reads and
writes")."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import click
from flask import flash

from portal.core.errors import DomainError
from portal.core.extensions import db

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


def flash_refusal(err: DomainError) -> None:
    """The default answer to a refusal on a page: its message, flashed as an error."""
    flash(str(err), "error")


def shown_by_page(err: DomainError) -> None:
    """The page shows the refusal itself, from the outcome (`Outcome.refusal`)."""


def on_field(form, default_field) -> Callable[[DomainError], None]:
    """A refusal shown on the form field it names (`err.field`), else on `default_field`."""
    def show(err: DomainError) -> None:
        (getattr(form, err.field or "", None) or default_field).errors.append(str(err))
    return show


@dataclass
class Outcome(Generic[T]):
    """What a page's unit of work came to: `value` when committed, `refusal` when the domain said no."""

    value: T | None = None
    refusal: DomainError | None = None

    def __bool__(self) -> bool:
        return self.refusal is None


def attempt(work: Callable[[], T], *, refused: Callable[[DomainError], None] = flash_refusal) -> Outcome[T]:
    """A page's unit of work: run `work` (one service call) and commit, or on a domain refusal roll back and
    show it through `refused` (flashed by default). The page then answers by what the outcome says."""
    try:
        value = work()
    except DomainError as err:
        db.session.rollback()
        refused(err)
        return Outcome(refusal=err)
    db.session.commit()
    return Outcome(value=value)
