"""The one answer to "is this unit covered on this date, by which terms, until when, and why (not)".

Dates are calendar dates in the portal's warranty time zone (WARRANTY_TIMEZONE), so a claim filed at
23:30 UTC on the last day in Berlin is already a day late. Terms run from their start date through their
end date inclusive; a month later than 31 January is 28 (or 29) February.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from portal.catalog.models import Disposition, Unit, UnitEvent
from portal.core.dates import add_months
from portal.core.db import utcnow
from portal.core.i18n import gettext as _
from portal.core.i18n import lazy_gettext as _l
from portal.core.i18n import long_date
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.warranty.models import ClockStart, ExtendedCoverage, ReplacementRule, WarrantyTerms

SCOPE_WORDS = {"parts": _l("parts"), "labour": _l("labour"), "accidental": _l("accidental damage")}


def and_list(words: list[str]) -> str:
    """"parts, labour and accidental damage" in the reader's language."""
    words = [str(w) for w in words]
    if len(words) < 2:
        return words[0] if words else ""
    return _("%(items)s and %(last)s", items=", ".join(words[:-1]), last=words[-1])


@dataclass
class Window:
    start: date
    end: date
    scopes: tuple[str, ...]
    label: str


@dataclass
class Coverage:
    covered: bool
    until: date | None
    scopes: tuple[str, ...]
    reason: str
    windows: list[Window] = field(default_factory=list)

    @property
    def words(self) -> str:
        if not self.covered:
            return self.reason
        listed = and_list([SCOPE_WORDS[s] for s in self.scopes])
        return _("Covered until %(date)s: %(scopes)s", date=long_date(self.until), scopes=listed)


@dataclass
class CoverageFacts:
    """What coverage() would otherwise read itself: the model's terms, the unit's ownerships (oldest first) and
    its extensions, as objects or rows with the same attribute names. The verdict reads them in bulk."""
    terms: WarrantyTerms | TermsFacts
    owners: list
    extensions: list


#: The terms of a model whose maker set none.
DEFAULT_TERMS = {"clock_start": ClockStart.PURCHASE, "grace_days": 90, "survives_transfer": True,
                 "replacement_rule": ReplacementRule.REMAINING, "scope": "parts,labour"}


@dataclass(frozen=True)
class TermsFacts:
    """A model's terms as plain values, which is all coverage() reads of them (cheaper than an ORM object)."""
    clock_start: ClockStart
    grace_days: int
    survives_transfer: bool
    replacement_rule: ReplacementRule
    scope: str


def terms_for(model) -> WarrantyTerms:
    return db.session.scalar(select(WarrantyTerms).where(WarrantyTerms.model_id == model.id)) or WarrantyTerms(
        model_id=model.id, **DEFAULT_TERMS)


def local_date(moment: date | datetime, tz: str | None = None) -> date:
    if isinstance(moment, datetime):
        zone = ZoneInfo(tz or current_app.config.get("WARRANTY_TIMEZONE", "UTC"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))).astimezone(zone).date()
    return moment


def _ownerships(unit: Unit) -> list[Ownership]:
    return list(db.session.scalars(select(Ownership).where(Ownership.unit_id == unit.id).order_by(Ownership.since)))


def base_start(unit: Unit, terms: WarrantyTerms, tz: str | None = None,
               owners: list[Ownership] | None = None) -> tuple[date | None, str]:
    """When the base term starts, and a phrase saying from what."""
    owners = _ownerships(unit) if owners is None else owners
    first = owners[0] if owners else None
    grace = timedelta(days=terms.grace_days)
    if terms.clock_start is ClockStart.PURCHASE and first and first.purchased_on and first.proof_key:
        return first.purchased_on, _("the purchase date on the receipt")
    if terms.clock_start is ClockStart.REGISTRATION and first:
        return local_date(first.since, tz), _("the first registration")
    if terms.clock_start in (ClockStart.PURCHASE, ClockStart.MANUFACTURE) and unit.manufactured_on:
        return unit.manufactured_on + grace, _("the manufacture date plus %(days)d days", days=terms.grace_days)
    if terms.clock_start is ClockStart.PURCHASE and first:
        return local_date(first.since, tz), _("the registration date (no receipt)")
    return None, ""


def _base_window(unit: Unit, tz: str | None, depth: int = 0,
                 known: CoverageFacts | None = None) -> tuple[Window | None, str]:
    terms = known.terms if known else terms_for(unit.model)
    months = unit.model.warranty_months
    scopes = tuple(s for s in terms.scope.split(",") if s)
    if unit.replaces_id and depth < 10:
        if terms.replacement_rule is ReplacementRule.REMAINING:
            original, why = _base_window(unit.replaces, tz, depth + 1)
            if original is not None:
                return Window(original.start, original.end, original.scopes, _("remaining term of the replaced unit")), ""
            return None, why
        start = local_date(unit.created_at, tz)
        return Window(start, add_months(start, months), scopes, _("fresh term of a replacement unit")), ""
    if not months:
        return None, _("This model has no manufacturer's warranty.")
    owners = known.owners if known else _ownerships(unit)
    start, source = base_start(unit, terms, tz, owners)
    if start is None:
        return None, _("The warranty starts when the product is registered.")
    end = add_months(start, months)
    if not terms.survives_transfer:
        transfer = next((o for o in owners if o.source == "transfer"), None)
        if transfer is not None:
            end = min(end, local_date(transfer.since, tz) - timedelta(days=1))
    return Window(start, end, scopes, _("%(months)d-month warranty from %(source)s", months=months, source=source)), ""


def _stolen_periods(unit: Unit, tz: str | None) -> list[tuple[date, date | None]]:
    periods, started = [], None
    for ev in db.session.scalars(select(UnitEvent).where(UnitEvent.unit_id == unit.id)
                                 .order_by(UnitEvent.occurred_at, UnitEvent.id)):
        if ev.disposition is Disposition.STOLEN and started is None:
            started = local_date(ev.occurred_at, tz)
        elif ev.disposition is not Disposition.STOLEN and started is not None:
            periods.append((started, local_date(ev.occurred_at, tz)))
            started = None
    if started is not None:
        periods.append((started, None))
    return periods


def coverage(unit: Unit, on: date | datetime, *, tz: str | None = None, known: CoverageFacts | None = None) -> Coverage:
    """Is `unit` covered on `on`? Base term, extended terms, stolen periods and replacements all count.

    `known` passes facts already read (not for a replacement unit, whose term follows the unit it replaced)."""
    if known is not None and unit.replaces_id:
        raise ValueError("a replacement unit's coverage reads the replaced unit; call without known facts")
    day = local_date(on, tz)
    # From today on, only the current status matters; past stolen periods need the unit's history.
    periods = ([(day, None)] if unit.status is Disposition.STOLEN else []) if day >= local_date(utcnow(), tz) \
        else _stolen_periods(unit, tz)
    for start, end in periods:
        if start <= day and (end is None or day < end):
            return Coverage(False, None, (), _("Not covered while the unit is reported stolen."))
    windows: list[Window] = []
    base, why_not = _base_window(unit, tz, known=known)
    if base is not None:
        windows.append(base)
    extensions = known.extensions if known else db.session.scalars(
        select(ExtendedCoverage).where(ExtendedCoverage.unit_id == unit.id))
    for ext in extensions:
        windows.append(Window(ext.starts_on, add_months(ext.starts_on, ext.months),
                              tuple(s for s in ext.scope.split(",") if s), ext.note or _("%(months)d-month extension", months=ext.months)))
    active = [w for w in windows if w.start <= day <= w.end]
    if active:
        scopes = tuple(s for s in ("parts", "labour", "accidental") if any(s in w.scopes for w in active))
        return Coverage(True, max(w.end for w in active), scopes, "; ".join(w.label for w in active), windows)
    if not windows:
        return Coverage(False, None, (), why_not, windows)
    if all(day < w.start for w in windows):
        first = min(w.start for w in windows)
        return Coverage(False, None, (), _("Coverage starts on %(date)s.", date=long_date(first)), windows)
    last = max(w.end for w in windows if w.end < day)
    return Coverage(False, None, (), _("The warranty ended on %(date)s.", date=long_date(last)), windows)
