"""A captured document on disk, read as a stream: spooled as it arrives, checked in one pass, then its events
read one at a time (ijson), so no step holds the whole document in memory.

`spool` copies the request body block by block under a random key in instance storage. `scan` reads the
file once, token by token: it must be JSON, nest no deeper than MAX_DEPTH, carry its `@context`, be an
EPCISDocument (or EPCISQueryDocument, or one event) and hold at most `limit` events; it says where the
events are. `read_events` then yields them in order, each read and checked by document.read_event.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import ijson

from portal.catalog.epcis.document import SUPPORTED, Event, NotEpcis, TooManyEvents, _short_type, read_event
from portal.core.json_limits import MAX_DEPTH
from portal.core.storage import new_stored, open_stored, remove_stored

BLOCK = 1 << 16
#: Where each kind of document keeps its events (ijson prefixes).
EVENT_LISTS = {"EPCISDocument": "epcisBody.eventList",
               "EPCISQueryDocument": "epcisBody.queryResults.resultsBody.eventList"}
NO_CONTEXT = ("The document has no @context. An EPCIS 2.0 document in JSON-LD names its context, "
              'e.g. "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"].')


class BodyTooLarge(NotEpcis):
    status = 413


@dataclass(frozen=True)
class Scanned:
    #: The ijson prefix of the events ("" for a document that is one event).
    prefix: str
    count: int


def spool(stream: BinaryIO, *, max_bytes: int) -> str:
    """Copy the body to a new stored file; its key. Nothing is kept of a body over `max_bytes`."""
    key = f"epcis-{secrets.token_hex(16)}.json"
    size = 0
    try:
        with new_stored(key).open("wb") as out:
            while block := stream.read(BLOCK):
                size += len(block)
                if size > max_bytes:
                    raise BodyTooLarge("The document is larger than this repository takes in one capture (see "
                                       "GS1-EPCIS-Capture-File-Size-Limit); split it.")
                out.write(block)
    except BaseException:
        remove_stored(key)
        raise
    return key


def scan(key: str, *, limit: int | None) -> Scanned:
    """Check the spooled document in one pass without building it; NotEpcis (400/413) says why not."""
    kind, draft_kind, context, depth = "", "", False, 0
    counts = dict.fromkeys(EVENT_LISTS.values(), 0)
    items = {f"{p}.item": p for p in EVENT_LISTS.values()}
    lists = set()
    try:
        with open_stored(key).open("rb") as source:
            for prefix, token, value in ijson.parse(source, use_float=True):
                # Most tokens lie inside events: for them only the depth matters.
                if token == "start_map" or token == "start_array":
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise NotEpcis(f"The document nests deeper than {MAX_DEPTH} levels; no EPCIS document "
                                       "does.", field="epcisBody")
                    if depth > 6:  # deeper than a query document's events
                        continue
                    if prefix in items and token == "start_map":
                        counts[items[prefix]] += 1
                        if limit is not None and counts[items[prefix]] > limit:
                            raise TooManyEvents(f"A document may hold at most {limit:,} events; split it.",
                                                field="epcisBody.eventList")
                    elif prefix in counts:
                        lists.add(prefix)
                    elif prefix.startswith("@context."):
                        context = True
                elif token == "end_map" or token == "end_array":
                    depth -= 1
                elif depth > 2:
                    continue
                elif prefix == "type" and token == "string":  # top-level keys only: nested ones have dots
                    kind = _short_type(value)
                elif prefix == "isA" and token == "string":
                    draft_kind = _short_type(value)
                elif prefix == "@context" and (token == "map_key" or token == "string" and value.strip()) \
                        or prefix.startswith("@context."):
                    context = True
    except ijson.JSONError as err:
        raise NotEpcis(f"The request body is not valid JSON ({str(err)[:120]}).", field="body") from None
    kind = kind or draft_kind
    if kind not in (*EVENT_LISTS, *SUPPORTED):
        raise NotEpcis("This is not an EPCIS document: its type should be EPCISDocument (or an event type).",
                       field="type")
    if not context:
        raise NotEpcis(NO_CONTEXT, field="@context")
    if kind in SUPPORTED:
        return Scanned("", 1)
    prefix = EVENT_LISTS[kind]
    if prefix not in lists:
        raise NotEpcis(f"An {kind} carries its events as a list in epcisBody.eventList.", field="epcisBody.eventList")
    return Scanned(prefix, counts[prefix])


def read_events(key: str, prefix: str, *, skip: int = 0) -> Iterator[Event]:
    """The events of a scanned document in order, from the `skip`-th (a resumed capture)."""
    with open_stored(key).open("rb") as source:
        raws = ijson.items(source, f"{prefix}.item" if prefix else "", use_float=True)
        for index, raw in enumerate(raws):
            if index >= skip:
                yield read_event(index, raw)
