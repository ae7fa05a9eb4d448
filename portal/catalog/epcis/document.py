"""Reading an EPCIS 2.0 document (JSON or JSON-LD) into checked events.

GS1 publishes documents as `{"type": "EPCISDocument", "epcisBody": {"eventList": [...]}}`; query results
nest the list under `queryResults.resultsBody`; a bare list of events, or one event, is read too. JSON-LD
needs no expansion here: the EPCIS context maps the plain keys, and anything else in an event (a
company's extension fields, `@context`, quantities, sensor data) is left alone. An event that cannot be
read becomes an event with an `error`, so the rest of the document can still land.

A document needs its `@context` (so does a single event sent alone), and every event its
`eventTimeZoneOffset`. `isA`, the draft-era name of `type`, is read as `type` and noted on the event.
An event carrying an `errorDeclaration` declares the event captured before under the same eventID
erroneous (portal.catalog.epcis.corrections).
"""
from __future__ import annotations

import gc
import hashlib
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from portal.catalog.epcis.vocabulary import EpcisSyntaxError, Sgtin, Sscc, canonical_epc, parse_cbv, parse_epc
from portal.core.errors import Invalid

SUPPORTED = ("ObjectEvent", "AggregationEvent", "TransformationEvent", "AssociationEvent", "TransactionEvent")
ACTIONS = ("ADD", "OBSERVE", "DELETE")
MAX_EVENTS = 10_000
MAX_EVENT_ID = 255
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
#: Clocks of capturing systems drift; an event further ahead than this is a mistake.
FUTURE_GRACE = timedelta(days=1)
_OFFSET = re.compile(r"[+-](?:0[0-9]|1[0-4]):[0-5][0-9]")
#: The lists of identifiers per event type, and the role queries match them by (models.EpcRole values).
_LISTS = {
    "ObjectEvent": (("epcList", "epc"),),
    "AggregationEvent": (("parentID", "parent"), ("childEPCs", "epc")),
    "AssociationEvent": (("parentID", "parent"), ("childEPCs", "epc")),
    "TransactionEvent": (("parentID", "parent"), ("epcList", "epc")),
    "TransformationEvent": (("inputEPCList", "input"), ("outputEPCList", "output")),
}
ISA_NOTE = ("isA is the draft-era name of type; it was read as type. Send type: isA will not be read "
            "for ever.")


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
    error: str | None = None
    #: AssociationEvent and TransactionEvent: parentID as written (it may be any identifier).
    parent_text: str = ""
    biz_location: str = ""
    #: The event as it is stored and answered to queries: `isA` read as `type`, eventID filled in.
    body: dict = field(default_factory=dict)
    #: (role, canonical identifier) for every identifier it names: what queries match.
    epc_index: list[tuple[str, str]] = field(default_factory=list)
    #: Its errorDeclaration (declarationTime, reason, correctiveEventIDs), when it declares one.
    declaration: dict | None = None
    #: Remarks for the capture report that are not errors (e.g. `isA` read as `type`).
    notes: list[str] = field(default_factory=list)

    @property
    def named(self) -> list[str]:
        """Every identifier as the document wrote it, for the report (read when the event failed)."""
        return _named(self.body) if isinstance(self.body, dict) else []


@contextmanager
def collector_paused():
    """Python's cycle collector off while a capture runs (bench/epcis_capture.py).

    Reading and capturing allocate a few objects per event over the process's heap (the application's
    objects; for a document parsed whole, the document), so the collector's passes, triggered by the
    allocation count alone, rescan that heap again and again and find nothing: every object here is freed
    by reference counting. The collector's previous state is restored after it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class TooManyEvents(NotEpcis):
    """More events than one capture takes (GS1-EPCIS-Capture-Limit)."""

    status = 413
    type = "https://provenance.example/problems/epcis-capture-limit"


def events_of(document, *, limit: int | None = MAX_EVENTS, allow_list: bool = True) -> list[Event]:
    """The document's events in order; NotEpcis when it is not an EPCIS document at all.

    `allow_list`: a bare list of events is read too (the /api/v1 route's older form; the standard binding
    takes documents only). `limit`: the most events one capture takes, None for no limit (benchmarks).
    """
    raw_events = _event_list(document, allow_list)
    if limit is not None and len(raw_events) > limit:
        raise TooManyEvents(f"A document may hold at most {limit:,} events; split it.", field="epcisBody.eventList")
    with collector_paused():
        return [read_event(index, raw) for index, raw in enumerate(raw_events)]


def _event_list(document, allow_list: bool = True) -> list:
    if isinstance(document, list) and allow_list:
        return document
    if not isinstance(document, dict):
        raise NotEpcis("Send an EPCISDocument (or an EPCISQueryDocument).", field="type")
    kind = _short_type(document.get("type") or document.get("isA"))
    if kind in ("EPCISDocument", "EPCISQueryDocument", *SUPPORTED):
        context = document.get("@context")
        if not context or not isinstance(context, (str, list, dict)):
            raise NotEpcis("The document has no @context. An EPCIS 2.0 document in JSON-LD names its context, "
                           'e.g. "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"].',
                           field="@context")
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
    if kind in SUPPORTED:
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
    event.body = raw  # until it is read: an error still names the eventID the event carried
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
    # The sender's own dict, unless isA is renamed or an eventID filled in (a copy: the same dict sent again
    # must hash the same).
    body = raw if "type" in raw and "eventID" in raw else dict(raw)
    if "type" not in body and "isA" in body:
        body["type"] = body.pop("isA")
        event.notes.append(ISA_NOTE)
    event.type = _short_type(body.get("type"))
    if event.type not in SUPPORTED:
        raise EpcisSyntaxError(f"type {str(body.get('type'))[:60]!r} is not an EPCIS event type")
    event.event_id = _event_id(body)
    body.setdefault("eventID", event.event_id)
    event.body = body
    event.time = _event_time(body.get("eventTime"))
    offset = body.get("eventTimeZoneOffset")
    if not isinstance(offset, str) or not _OFFSET.fullmatch(offset.strip()):
        raise EpcisSyntaxError("eventTimeZoneOffset is missing or not like +01:00: every EPCIS event gives the "
                               "offset of the local time where it happened")
    if body.get("errorDeclaration") is not None:
        event.declaration = _declaration(body)
    _read_fields(event, body)
    event.epc_index = _epc_index(event.type, body)


def _read_fields(event: Event, raw: dict) -> None:
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
    where = raw.get("bizLocation")
    if isinstance(where, dict) and isinstance(where.get("id"), str):
        event.biz_location = where["id"].strip()[:255]
    if event.type in ("ObjectEvent", "TransactionEvent"):
        event.epcs = _units(raw, "epcList")
        if event.type == "TransactionEvent" and raw.get("parentID") is not None:
            event.parent_text = _identifier(raw["parentID"], "parentID")
    elif event.type in ("AggregationEvent", "AssociationEvent"):
        _children_and_parent(event, raw)
    else:
        event.epcs = _units(raw, "inputEPCList")
        event.outputs = _units(raw, "outputEPCList")


def _children_and_parent(event: Event, raw: dict) -> None:
    """AggregationEvent and AssociationEvent (EPCIS 2.0): parentID is required unless the action is OBSERVE,
    and children (childEPCs or childQuantityList) unless it is DELETE, where none means all of them.
    An aggregation's parent is an SGTIN or SSCC; an association's may be any identifier (an asset, a place),
    read as a unit when it is an SGTIN."""
    event.epcs = _units(raw, "childEPCs")
    if event.action != "DELETE" and not raw.get("childEPCs") and not raw.get("childQuantityList"):
        raise EpcisSyntaxError(f"an {event.type} with action {event.action} names its children (childEPCs or "
                               "childQuantityList)")
    if raw.get("parentID") is None:
        if event.action != "OBSERVE":
            raise EpcisSyntaxError(f"an {event.type} with action {event.action} needs a parentID")
        return
    if event.type == "AggregationEvent":
        event.parent = parse_epc(raw["parentID"])
        return
    event.parent_text = _identifier(raw["parentID"], "parentID")
    try:
        event.parent = parse_epc(event.parent_text)
    except EpcisSyntaxError:
        if not _other_identifier(event.parent_text):
            raise
    if isinstance(event.parent, Sscc):
        event.parent = None  # a logistic unit as the associated object: history only, like any other asset


def _identifier(value, key: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 512:
        raise EpcisSyntaxError(f"{key} must be an identifier (a URI of at most 512 characters)")
    return value.strip()


def _declaration(raw: dict) -> dict:
    """The errorDeclaration: when it was declared, why, and which events correct the declared one."""
    given = raw["errorDeclaration"]
    if raw.get("eventID") is None:
        raise EpcisSyntaxError("an errorDeclaration names the event it declares erroneous by its eventID; "
                               "this event has none")
    if not isinstance(given, dict):
        raise EpcisSyntaxError("errorDeclaration must be an object with declarationTime, reason and "
                               "correctiveEventIDs")
    when = _event_time(given.get("declarationTime"), "errorDeclaration.declarationTime")
    reason = given.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 255):
        raise EpcisSyntaxError("errorDeclaration.reason must be a CBV error reason or a URI")
    ids = given.get("correctiveEventIDs") or []
    if not isinstance(ids, list) or not all(isinstance(i, str) and 0 < len(i) <= MAX_EVENT_ID for i in ids):
        raise EpcisSyntaxError("errorDeclaration.correctiveEventIDs must be a list of eventIDs")
    word = reason.rsplit("ER-", 1)[-1].rsplit(":", 1)[-1].rsplit("/", 1)[-1] if reason else ""
    return {**given, "declarationTime": given["declarationTime"], "reason_word": word, "when": when}


def _epc_index(kind: str, raw: dict) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for key, role in _LISTS[kind]:
        value = raw.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.strip():
                pair = (role, canonical_epc(item))
                if pair not in found:
                    found.append(pair)
    return found


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


def _event_time(value, name: str = "eventTime") -> datetime:
    if not isinstance(value, str):
        raise EpcisSyntaxError(f"{name} is missing; give it like 2026-11-27T09:30:00.000+01:00")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise EpcisSyntaxError(f"{name} {value[:40]!r} is not a date and time like "
                               "2026-11-27T09:30:00.000+01:00") from None
    if moment.tzinfo is None:
        raise EpcisSyntaxError(f"{name} needs its time zone offset (Z or +01:00)")
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise EpcisSyntaxError(f"{name} is out of range") from None
    if moment < EARLIEST:
        raise EpcisSyntaxError(f"{name} lies before 1970")
    if moment > datetime.now(UTC) + FUTURE_GRACE:
        raise EpcisSyntaxError(f"{name} lies in the future")
    return moment


def _place(raw: dict) -> str:
    for key in ("bizLocation", "readPoint"):
        where = raw.get(key)
        if isinstance(where, dict) and isinstance(where.get("id"), str):
            return where["id"].strip()[:200]
    return ""


_UNIT_CLAIM = re.compile(r"urn:epc:id:(?:sgtin|sscc):|[a-z][a-z0-9+.\-]*://[^?#]*/0[01]/", re.IGNORECASE)
_URI_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S{1,500}")


def _other_identifier(item) -> bool:
    """An identifier that is no unit and does not claim to be one (a GIAI, GRAI, GSRN, a location...):
    EPCIS allows any; it stays with the event and queries match it, but it names no unit."""
    return isinstance(item, str) and bool(_URI_LIKE.fullmatch(item.strip())) and not _UNIT_CLAIM.match(item.strip())


def _units(raw: dict, key: str) -> list[Sgtin]:
    """The SGTINs of a list, each once, in order. SSCCs are logistic units, not units: they are skipped, and
    so are identifiers of other kinds (assets, returnable items, services); one that claims to be an SGTIN or
    SSCC and cannot be read is an error."""
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
            if not _other_identifier(item):
                bad.append(str(err))
            continue
        if isinstance(epc, Sgtin):
            found.setdefault(epc.key, epc)
    if bad:
        more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
        raise EpcisSyntaxError(f"cannot read {len(bad)} EPC(s) of {key}: " + "; ".join(bad[:3]) + more)
    return list(found.values())
