"""Reading captured events back: the EPCIS 2.0 query parameters Provenance answers, for one tenant.

Every filter is a WHERE on the captured events (or an EXISTS on the identifiers they name), so a query
is one SELECT whatever its parameters; pages follow the capture order (the events' ids) and a page token
says where the previous page stopped. The answer is an EPCISQueryDocument in JSON-LD (`query_document`).
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import exists, or_, select

from portal.catalog.epcis.models import CapturedEpc, CapturedEvent, EpcRole
from portal.catalog.epcis.vocabulary import EpcisSyntaxError, cbv_word, epc_pattern, parse_cbv
from portal.catalog.models import Manufacturer
from portal.core.errors import Invalid
from portal.extensions import db

EVENT_TYPES = ("ObjectEvent", "AggregationEvent", "TransformationEvent", "AssociationEvent", "TransactionEvent")
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 500
MAX_VALUES = 50
#: The parameters answered; any other is refused rather than silently ignored.
PARAMETERS = ("eventType", "GE_eventTime", "LT_eventTime", "EQ_bizStep", "EQ_disposition", "MATCH_epc",
              "MATCH_anyEPC", "MATCH_parentID", "EQ_bizLocation", "perPage", "nextPageToken")
_MATCH_ROLES = {"MATCH_epc": (EpcRole.EPC,), "MATCH_parentID": (EpcRole.PARENT,),
                "MATCH_anyEPC": tuple(EpcRole)}


class QueryParameterError(Invalid):
    """A query parameter this repository cannot read (EPCIS: QueryParameterException)."""

    status = 400
    type = "epcisException:QueryParameterException"


@dataclass(frozen=True)
class EventQuery:
    event_types: tuple[str, ...] = ()
    ge_time: datetime | None = None
    lt_time: datetime | None = None
    biz_steps: tuple[str, ...] = ()
    dispositions: tuple[str, ...] = ()
    biz_locations: tuple[str, ...] = ()
    #: (roles, [(canonical or prefix, is_prefix), ...]) per MATCH_ parameter given.
    matches: tuple = ()
    per_page: int = DEFAULT_PER_PAGE
    after: int | None = None


@dataclass(frozen=True)
class EventPage:
    events: list[dict] = field(default_factory=list)
    next_token: str | None = None


def parse_query(args: dict[str, str]) -> EventQuery:
    """The query from URL parameters (lists are pipe-delimited, as the REST binding writes them)."""
    unknown = sorted(set(args) - set(PARAMETERS))
    if unknown:
        raise QueryParameterError(f"Query parameter {unknown[0]!r} is not answered here; the parameters are "
                                  f"{', '.join(PARAMETERS)}.", field=unknown[0])
    kinds = _values(args, "eventType")
    bad = [k for k in kinds if k not in EVENT_TYPES]
    if bad:
        raise QueryParameterError(f"eventType {bad[0][:40]!r} is not an EPCIS event type.", field="eventType")
    matches = []
    for name, roles in _MATCH_ROLES.items():
        if name in args:
            try:
                matches.append((roles, tuple(epc_pattern(v) for v in _values(args, name))))
            except EpcisSyntaxError as err:
                raise QueryParameterError(f"{name}: {err}", field=name) from None
    return EventQuery(
        event_types=tuple(kinds), ge_time=_time(args, "GE_eventTime"), lt_time=_time(args, "LT_eventTime"),
        biz_steps=_words(args, "EQ_bizStep", "bizStep"), dispositions=_words(args, "EQ_disposition", "disposition"),
        biz_locations=tuple(_values(args, "EQ_bizLocation")), matches=tuple(matches),
        per_page=_per_page(args.get("perPage")), after=_token(args.get("nextPageToken")))


def _values(args: dict[str, str], name: str) -> list[str]:
    if name not in args:
        return []
    values = [v.strip() for v in args[name].split("|") if v.strip()]
    if not values or len(values) > MAX_VALUES:
        raise QueryParameterError(f"{name} takes 1 to {MAX_VALUES} values separated by '|'.", field=name)
    return values


def _words(args: dict[str, str], name: str, kind: str) -> tuple[str, ...]:
    try:
        return tuple(parse_cbv(kind, v) for v in _values(args, name))
    except EpcisSyntaxError as err:
        raise QueryParameterError(f"{name}: {err}", field=name) from None


def _time(args: dict[str, str], name: str) -> datetime | None:
    if name not in args:
        return None
    try:
        moment = datetime.fromisoformat(args[name].strip().replace(" ", "+"))
    except ValueError:
        raise QueryParameterError(f"{name} must be a date and time like 2026-11-27T09:30:00Z.", field=name) from None
    if moment.tzinfo is None:
        raise QueryParameterError(f"{name} needs its time zone offset (Z or +01:00).", field=name)
    return moment.astimezone(UTC)


def _per_page(text: str | None) -> int:
    if text is None:
        return DEFAULT_PER_PAGE
    if not text.isdigit() or not 1 <= int(text) <= MAX_PER_PAGE:
        raise QueryParameterError(f"perPage is a whole number from 1 to {MAX_PER_PAGE}.", field="perPage")
    return int(text)


def _token(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        mark, _, number = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().partition(":")
        if mark != "e1" or not number.isdigit() or len(number) > 18:
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise QueryParameterError("nextPageToken is not one this repository gave out; pass it back as it came.",
                                  field="nextPageToken") from None
    return int(number)


def _next_token(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"e1:{last_id}".encode()).decode().rstrip("=")


def find_events(tenant: Manufacturer, query: EventQuery, *, epc: tuple[str, bool] | None = None) -> EventPage:
    """One page of the tenant's events that match `query` (and name `epc` anywhere, when given)."""
    stmt = select(CapturedEvent.id, CapturedEvent.body, CapturedEvent.captured_at, CapturedEvent.declaration).where(
        CapturedEvent.manufacturer_id == tenant.id, CapturedEvent.body.is_not(None))
    if query.event_types:
        stmt = stmt.where(CapturedEvent.event_type.in_(query.event_types))
    if query.ge_time is not None:
        stmt = stmt.where(CapturedEvent.event_time >= query.ge_time)
    if query.lt_time is not None:
        stmt = stmt.where(CapturedEvent.event_time < query.lt_time)
    if query.biz_steps:
        stmt = stmt.where(CapturedEvent.biz_step.in_(query.biz_steps))
    if query.dispositions:
        stmt = stmt.where(CapturedEvent.disposition.in_(query.dispositions))
    if query.biz_locations:
        stmt = stmt.where(CapturedEvent.biz_location.in_(query.biz_locations))
    for roles, patterns in (*query.matches, *([(tuple(EpcRole), (epc,))] if epc else [])):
        stmt = stmt.where(_names(roles, patterns))
    if query.after is not None:
        stmt = stmt.where(CapturedEvent.id > query.after)
    rows = db.session.execute(stmt.order_by(CapturedEvent.id).limit(query.per_page + 1)).all()
    more = len(rows) > query.per_page
    rows = rows[:query.per_page]
    return EventPage(events=[_event(row) for row in rows], next_token=_next_token(rows[-1].id) if more else None)


def _names(roles, patterns):
    match = [CapturedEpc.epc.startswith(text, autoescape=True) if prefix else CapturedEpc.epc == text
             for text, prefix in patterns]
    return exists().where(CapturedEpc.event_pk == CapturedEvent.id,
                          CapturedEpc.role.in_([r.value for r in roles]), or_(*match))


def _event(row) -> dict:
    event = json.loads(row.body)
    event.pop("@context", None)
    event["recordTime"] = _iso(row.captured_at)
    if row.declaration:
        event["errorDeclaration"] = json.loads(row.declaration)
    return _json_forms(event)


def _json_forms(event: dict) -> dict:
    """CBV values as EPCIS 2.0 JSON writes them (bare words), whichever spelling the sender used."""
    for key in ("bizStep", "disposition"):
        if key in event:
            event[key] = cbv_word(key, event[key])
    persistent = event.get("persistentDisposition")
    if isinstance(persistent, dict):
        for key in ("set", "unset"):
            if isinstance(persistent.get(key), list):
                persistent[key] = [cbv_word("disposition", v) for v in persistent[key]]
    for key, kind in (("bizTransactionList", "btt"), ("sourceList", "sdt"), ("destinationList", "sdt")):
        for item in event.get(key) or []:
            if isinstance(item, dict) and "type" in item:
                item["type"] = cbv_word(kind, item["type"])
    declaration = event.get("errorDeclaration")
    if isinstance(declaration, dict) and "reason" in declaration:
        declaration["reason"] = cbv_word("er", declaration["reason"])
    return event


def query_document(page: EventPage, *, created: datetime) -> dict:
    """The EPCISQueryDocument (JSON-LD) that answers a query with `page`'s events."""
    return {"@context": [CONTEXT], "type": "EPCISQueryDocument", "schemaVersion": "2.0",
            "creationDate": _iso(created),
            "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery",
                                           "resultsBody": {"eventList": page.events}}}}


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
