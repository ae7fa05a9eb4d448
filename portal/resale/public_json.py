"""A proof's live status as JSON: the one shape every machine reader gets (the proof's /status answer, and the
marketplace API may answer with it too). Built from a `queries.ProofStatus`, so it holds nothing about the owner."""
from __future__ import annotations

from datetime import date, datetime

from portal.resale.queries import ProofStatus


def _moment(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z") if value else None


def _month(value: date | None) -> str | None:
    return value.strftime("%Y-%m") if value else None


def status_document(status: ProofStatus, url: str) -> dict:
    product = status.product
    warranty = status.warranty
    return {
        "proof": {"reference": status.reference, "url": url, "state": status.state.value, "holds": status.holds,
                  "verdict": status.verdict, "issuedAt": _moment(status.issued_at),
                  "expiresAt": _moment(status.expires_at), "endedAt": _moment(status.ended_at)},
        "product": {"gtin": product.gtin, "name": product.model_name, "manufacturer": product.manufacturer,
                    "serial": product.serial, "serialMasked": product.serial_masked,
                    "manufactured": _month(product.manufactured_month)},
        "registeredToPresenterSince": _month(status.registered_since),
        "reportedStolen": status.stolen,
        "recalls": [{"number": r.number, "title": r.title, "open": r.open} for r in status.recalls],
        "warrantyOnTransfer": None if warranty is None else {
            "carries": warranty.carries, "until": warranty.until.isoformat() if warranty.until else None,
            "scopes": list(warranty.scopes)},
        "serviceHistory": None if status.service is None else [
            {"date": e.performed_on.isoformat(), "kind": e.kind, "centre": e.centre, "partSerial": e.part_serial,
             "source": e.source} for e in status.service],
        "transferOffered": status.transfer_offered,
    }
