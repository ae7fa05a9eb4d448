"""Checking query answers against EPCIS 2.0.

GS1 publishes the EPCIS 2.0 JSON schema (EPCIS-JSON-Schema.json in the gs1/EPCIS repository, also at
ref.gs1.org) without a licence that allows a copy here, so it is not in this repository. When a copy is
on the machine (EPCIS_JSON_SCHEMA names the file; ~/.cache/provenance/EPCIS-JSON-Schema.json otherwise),
answers are validated against it with jsonschema; `structural_errors` always checks the shape the
standard requires of a query document and its events (docs/epcis.md, "Conformance").
"""
from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

EVENT_TYPES = {"ObjectEvent", "AggregationEvent", "TransformationEvent", "AssociationEvent", "TransactionEvent"}
_OFFSET = re.compile(r"^[+-]([01][0-9]|2[0-3]):[0-5][0-9]$")


def standard_schema_path() -> Path | None:
    given = os.environ.get("EPCIS_JSON_SCHEMA")
    path = Path(given) if given else Path.home() / ".cache" / "provenance" / "EPCIS-JSON-Schema.json"
    return path if path.is_file() else None


def standard_errors(document: dict) -> list[str] | None:
    """The standard schema's complaints about `document`, or None when no copy of the schema is here."""
    path = standard_schema_path()
    if path is None:
        return None
    import jsonschema

    schema = json.loads(path.read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def _time(value) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def structural_errors(document: dict) -> list[str]:
    """What an EPCISQueryDocument must have, checked without the schema."""
    errors = []
    if not document.get("@context"):
        errors.append("@context missing")
    if document.get("type") != "EPCISQueryDocument":
        errors.append("type is not EPCISQueryDocument")
    if document.get("schemaVersion") != "2.0" or not _time(document.get("creationDate")):
        errors.append("schemaVersion or creationDate wrong")
    results = document.get("epcisBody", {}).get("queryResults", {})
    if not isinstance(results.get("queryName"), str):
        errors.append("queryResults.queryName missing")
    events = results.get("resultsBody", {}).get("eventList")
    if not isinstance(events, list):
        return [*errors, "resultsBody.eventList missing"]
    for i, event in enumerate(events):
        where = f"event {i}"
        if event.get("type") not in EVENT_TYPES:
            errors.append(f"{where}: type")
        if not _time(event.get("eventTime")) or not _OFFSET.match(str(event.get("eventTimeZoneOffset"))):
            errors.append(f"{where}: eventTime or eventTimeZoneOffset")
        if not _time(event.get("recordTime")):
            errors.append(f"{where}: recordTime")
        if event.get("type") != "TransformationEvent" and event.get("action") not in ("ADD", "OBSERVE", "DELETE"):
            errors.append(f"{where}: action")
        if "isA" in event or not isinstance(event.get("eventID"), str):
            errors.append(f"{where}: isA or eventID")
        declaration = event.get("errorDeclaration")
        if declaration is not None and not _time(declaration.get("declarationTime")):
            errors.append(f"{where}: errorDeclaration.declarationTime")
    return errors


def assert_valid(document: dict) -> None:
    assert structural_errors(document) == []
    complaints = standard_errors(document)
    assert not complaints, complaints[:5]
