"""Reading an EPCIS 2.0 document (JSON or JSON-LD) into checked events.

GS1 publishes documents as `{"type": "EPCISDocument", "epcisBody": {"eventList": [...]}}`; query results
nest the list under `queryResults.resultsBody`; a bare list of events, or one event, is read too. JSON-LD
needs no expansion here: the EPCIS context maps the plain keys, and anything else in an event (a
company's extension fields, `@context`, quantities, sensor data) is left alone. An event that cannot be
read becomes an event with an `error`, so the rest of the document can still land.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from portal.catalog.epcis.vocabulary import EpcisSyntaxError, Sgtin, Sscc, parse_cbv, parse_epc
from portal.core.errors import Invalid

SUPPORTED = ("ObjectEvent", "AggregationEvent", "TransformationEvent")
OTHER_EVENT_TYPES = ("AssociationEvent", "TransactionEvent")
ACTIONS = ("ADD", "OBSERVE", "DELETE")
MAX_EVENTS = 10_000
MAX_EVENT_ID = 255
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
#: Clocks of capturing systems drift; an event further ahead than this is a mistake.
FUTURE_GRACE = timedelta(days=1)


class NotEpcis(Invalid):
    """The body is JSON but not an EPCIS document, event list or event."""

    type = "https://provenance.example/problems/not-epcis"


@dataclass
class Event:
    """One event of a document, read and checked as far as it can be without the database."""

    index: int
    event_id: str = ""
    type: str = ""
    action: str | None = None
    biz_step: str = ""
    disposition: str = ""
    time: datetime | None = None
    place: str = ""
    #: The units the event is about: epcList, childEPCs, or inputEPCList.
    epcs: list[Sgtin] = field(default_factory=list)
    #: TransformationEvent only: outputEPCList.
    outputs: list[Sgtin] = field(default_factory=list)
    parent: Sgtin | Sscc | None = None
    #: Every identifier as the document wrote it, for the report.
    named: list[str] = field(default_factory=list)
    error: str | None = None


def events_of(document) -> list[Event]:
    """The document's events in order; NotEpcis when it is not an EPCIS document at all."""
    raw_events = _event_list(document)
    if len(raw_events) > MAX_EVENTS:
        raise NotEpcis(f"A document may hold at most {MAX_EVENTS:,} events; split it.", field="epcisBody.eventList")
    return [read_event(index, raw) for index, raw in enumerate(raw_events)]


def _event_list(document) -> list:
    if isinstance(document, list):
        return document
    if not isinstance(document, dict):
        raise NotEpcis("Send an EPCISDocument, a list of events or one event.", field="type")
    kind = _short_type(document.get("type"))
    if kind in ("EPCISDocument", "EPCISQueryDocument"):
        body = document.get("epcisBody")
        if kind == "EPCISQueryDocument" and isinstance(body, dict):
            results = body.get("queryResults")
            body = results.get("resultsBody") if isinstance(results, dict) else None
        events = body.get("eventList") if isinstance(body, dict) else None
        if not isinstance(events, list):
            raise NotEpcis(f"An {kind} carries its events as a list in epcisBody.eventList.",
                           field="epcisBody.eventList")
        return events
    if kind in SUPPORTED or kind in OTHER_EVENT_TYPES:
        return [document]
    raise NotEpcis("This is not an EPCIS document: its type should be EPCISDocument (or an event type).",
                   field="type")


def _short_type(value) -> str:
    """`ObjectEvent` from `ObjectEvent`, `epcis:ObjectEvent` or `https://ref.gs1.org/epcis/ObjectEvent`."""
    if not isinstance(value, str):
        return ""
    return value.rsplit("/", 1)[-1].rsplit(":", 1)[-1].rsplit("#", 1)[-1]


def read_event(index: int, raw) -> Event:
    event = Event(index=index)
    if not isinstance(raw, dict):
        event.error = "an event is a JSON object"
        return event
    event.named = _named(raw)
    try:
        _read(event, raw)
    except EpcisSyntaxError as err:
        event.error = str(err)
    return event


def _named(raw: dict) -> list[str]:
    named = []
    for key in ("parentID", "epcList", "childEPCs", "inputEPCList", "outputEPCList"):
        value = raw.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                named.append(item[:300])
    return named


def _read(event: Event, raw: dict) -> None:
    event.type = _short_type(raw.get("type"))
    if event.type not in SUPPORTED:
        if event.type in OTHER_EVENT_TYPES:
            raise EpcisSyntaxError(f"{event.type}s are not captured; send ObjectEvent, AggregationEvent or "
                                   "TransformationEvent")
        raise EpcisSyntaxError(f"type {str(raw.get('type'))[:60]!r} is not an EPCIS event type")
    event.event_id = _event_id(raw)
    event.time = _event_time(raw.get("eventTime"))
    if event.type != "TransformationEvent":
        action = raw.get("action")
        if action not in ACTIONS:
            raise EpcisSyntaxError(f"action must be ADD, OBSERVE or DELETE, not {str(action)[:20]!r}")
        event.action = action
    if raw.get("bizStep") is not None:
        event.biz_step = parse_cbv("bizStep", raw["bizStep"])
    if raw.get("disposition") is not None:
        event.disposition = parse_cbv("disposition", raw["disposition"])
    event.place = _place(raw)
    if event.type == "ObjectEvent":
        event.epcs = _units(raw, "epcList")
    elif event.type == "AggregationEvent":
        event.epcs = _units(raw, "childEPCs")
        if raw.get("parentID") is not None:
            event.parent = parse_epc(raw["parentID"])
        elif event.action != "OBSERVE":
            raise EpcisSyntaxError(f"an AggregationEvent with action {event.action} needs a parentID")
    else:
        event.epcs = _units(raw, "inputEPCList")
        event.outputs = _units(raw, "outputEPCList")


def _event_id(raw: dict) -> str:
    """The eventID; an event without one is named by a hash of its content, so a re-send is still seen."""
    given = raw.get("eventID")
    if given is None:
        content = {k: v for k, v in raw.items() if k not in ("recordTime", "@context")}
        try:
            text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        except (TypeError, ValueError):
            raise EpcisSyntaxError("the event cannot be read as JSON") from None
        return "content-sha256:" + hashlib.sha256(text.encode()).hexdigest()
    if not isinstance(given, str) or not given.strip() or len(given.strip()) > MAX_EVENT_ID:
        raise EpcisSyntaxError(f"eventID must be text of 1 to {MAX_EVENT_ID} characters")
    return given.strip()


def _event_time(value) -> datetime:
    if not isinstance(value, str):
        raise EpcisSyntaxError("eventTime is missing; give it like 2026-11-27T09:30:00.000+01:00")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise EpcisSyntaxError(f"eventTime {value[:40]!r} is not a date and time like "
                               "2026-11-27T09:30:00.000+01:00") from None
    if moment.tzinfo is None:
        raise EpcisSyntaxError("eventTime needs its time zone offset (Z or +01:00)")
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise EpcisSyntaxError("eventTime is out of range") from None
    if moment < EARLIEST:
        raise EpcisSyntaxError("eventTime lies before 1970")
    if moment > datetime.now(UTC) + FUTURE_GRACE:
        raise EpcisSyntaxError("eventTime lies in the future")
    return moment


def _place(raw: dict) -> str:
    for key in ("bizLocation", "readPoint"):
        where = raw.get(key)
        if isinstance(where, dict) and isinstance(where.get("id"), str):
            return where["id"].strip()[:200]
    return ""


def _units(raw: dict, key: str) -> list[Sgtin]:
    """The SGTINs of a list, each once, in order. SSCCs are logistic units, not units: they are skipped."""
    value = raw.get(key, [])
    if value is None:
        value = []
    if not isinstance(value, list):
        raise EpcisSyntaxError(f"{key} must be a list of EPCs")
    found: dict[tuple[str, str], Sgtin] = {}
    bad = []
    for item in value:
        try:
            epc = parse_epc(item)
        except EpcisSyntaxError as err:
            bad.append(str(err))
            continue
        if isinstance(epc, Sgtin):
            found.setdefault(epc.key, epc)
    if bad:
        more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
        raise EpcisSyntaxError(f"cannot read {len(bad)} EPC(s) of {key}: " + "; ".join(bad[:3]) + more)
    return list(found.values())
