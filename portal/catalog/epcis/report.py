"""What a capture reports: counts, the failing events (with the reason and the identifiers each named),
notes that are not errors, and the refusal of an atomic capture.

A capture reads its document in chunks and keeps no per-event record of what went well, so its memory does
not grow with the document: the failing events and the notes are listed up to MAX_LISTED each and counted
beyond. The /api/v1 route, whose documents are bounded, also asks for one result per event (`keep_results`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from portal.core.errors import Invalid

#: Failing events (and notes) listed in a report; more are counted, not listed.
MAX_LISTED = 1000


class CaptureRefused(Invalid):
    """An atomic capture in which some event failed: nothing was captured."""

    type = "https://provenance.example/problems/epcis-capture-refused"

    def __init__(self, report: CaptureReport):
        super().__init__(f"{report.rejected} of {report.events} events cannot be captured, so none was "
                         "(atomic capture). Fix them, or capture without atomic to keep the others.")
        self.report = report
        self.errors = [{"location": "json", "field": f"epcisBody.eventList.{e['index']}",
                        "detail": f"{e['event_id'] or 'event without eventID'}: {e['detail']}"} for e in report.errors]


@dataclass
class CaptureReport:
    events: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    units_created: int = 0
    unit_events: int = 0
    #: Events declared erroneous by this capture.
    declared: int = 0
    #: The failing events, the first MAX_LISTED: index, event_id, type, detail, epcs.
    errors: list[dict] = field(default_factory=list)
    #: Remarks that are not errors (e.g. `isA` read as `type`), the first MAX_LISTED: index, event_id, detail.
    notes: list[dict] = field(default_factory=list)
    notes_total: int = 0
    #: Per event (index, event_id, result) when the caller keeps them; None otherwise.
    results: list[dict] | None = None

    def record(self, result: dict) -> None:
        """One event's outcome: result is accepted, duplicate or rejected."""
        self.events += 1
        outcome = result["result"]
        if outcome == "rejected":
            self.rejected += 1
            if len(self.errors) < MAX_LISTED:
                self.errors.append({k: result.get(k) for k in ("index", "event_id", "type", "detail")}
                                   | {"epcs": result.get("epcs", [])})
        elif outcome == "duplicate":
            self.duplicates += 1
        else:
            self.accepted += 1
        for note in result.get("notes") or ():
            self.notes_total += 1
            if len(self.notes) < MAX_LISTED:
                self.notes.append({"index": result["index"], "event_id": result["event_id"], "detail": note})
        if self.results is not None:
            self.results.append({k: result[k] for k in ("index", "event_id", "result")})

    def saved(self) -> dict:
        """The report as JSON-ready data, to resume from (`restored`)."""
        return {k: v for k, v in asdict(self).items() if k != "results"}

    @classmethod
    def restored(cls, data: dict) -> CaptureReport:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "results"})

    def as_dict(self) -> dict:
        return {"events": self.events, "accepted": self.accepted, "duplicates": self.duplicates,
                "rejected": self.rejected, "units_created": self.units_created, "unit_events": self.unit_events,
                "declared": self.declared,
                "errors": [{k: e[k] for k in ("index", "event_id", "type", "detail", "epcs")} for e in self.errors],
                "results": self.results or []}
