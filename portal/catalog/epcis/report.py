"""What a capture reports: per event accepted, duplicate or rejected (with the reason and the identifiers it
named), notes that are not errors, and the counts; and the refusal of an atomic capture."""
from __future__ import annotations

from dataclasses import dataclass, field

from portal.core.errors import Invalid


class CaptureRefused(Invalid):
    """An atomic capture in which some event failed: nothing was captured."""

    type = "https://provenance.example/problems/epcis-capture-refused"

    def __init__(self, report: CaptureReport):
        failed = report.errors
        super().__init__(f"{len(failed)} of {report.events} events cannot be captured, so none was "
                         "(atomic capture). Fix them, or capture without atomic to keep the others.")
        self.report = report
        self.errors = [{"location": "json", "field": f"epcisBody.eventList.{e['index']}",
                        "detail": f"{e['event_id'] or 'event without eventID'}: {e['detail']}"} for e in failed]


@dataclass
class CaptureReport:
    events: int = 0
    accepted: int = 0
    duplicates: int = 0
    units_created: int = 0
    unit_events: int = 0
    #: Events declared erroneous by this capture.
    declared: int = 0
    #: Per event: index, event_id, type, result (accepted / duplicate / rejected), units, detail, epcs.
    results: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> list[dict]:
        return [r for r in self.results if r["result"] == "rejected"]

    @property
    def notes(self) -> list[dict]:
        return [{"index": r["index"], "event_id": r["event_id"], "detail": note}
                for r in self.results for note in r.get("notes", [])]

    def as_dict(self) -> dict:
        return {"events": self.events, "accepted": self.accepted, "duplicates": self.duplicates,
                "rejected": len(self.errors), "units_created": self.units_created, "unit_events": self.unit_events,
                "declared": self.declared,
                "errors": [{k: e[k] for k in ("index", "event_id", "type", "detail", "epcs")} for e in self.errors],
                "results": [{k: r[k] for k in ("index", "event_id", "result")} for r in self.results]}
