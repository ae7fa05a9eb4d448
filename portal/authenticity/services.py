"""Use cases behind the public authenticity pages: judge a scan, place it, take a counterfeit report."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from portal.authenticity.clones import RecordedScan, check_for_clone, client_fingerprint, coarse, record_scan
from portal.authenticity.models import CounterfeitReport, Scan
from portal.authenticity.verify import WARNINGS, MalformedCode, Verdict, VerdictKind, verify_code
from portal.catalog.models import ProductModel, Unit
from portal.core.errors import Invalid
from portal.core.gs1 import DigitalLink, GS1Error, canonical_gtin, parse_digital_link
from portal.core.i18n import gettext as _
from portal.core.prebuilt import Prebuilt
from portal.core.signals import verdict_given
from portal.core.storage import store_image
from portal.extensions import db
from portal.ownership.models import Ownership

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


MALFORMED_PROBLEM = "https://provenance.example/problems/malformed-code"


@dataclass
class ScanAnswer:
    """The answer to one scanned code: a verdict (with its recorded scan), or why the code could not be read."""
    status: int
    verdict: Verdict | None = None
    scan: RecordedScan | None = None
    link: DigitalLink | None = None
    title: str = ""
    detail: str = ""

    def as_json(self) -> dict:
        if self.verdict is not None:
            return self.verdict.as_json()
        return {"type": MALFORMED_PROBLEM, "title": self.title, "detail": self.detail, "status": self.status}


def answer_code(raw_uri: str, *, client_address: str, user_agent: str, viewer=None) -> ScanAnswer:
    """Read a scanned Digital Link URI and judge it; the verdict page and the fast path both answer this way."""
    try:
        link = parse_digital_link(raw_uri)
    except GS1Error as err:
        return ScanAnswer(400, title=_("This is not a valid product code"), detail=str(err))
    return answer_link(link, client_address=client_address, user_agent=user_agent, viewer=viewer)


def answer_link(link: DigitalLink, *, client_address: str, user_agent: str, viewer=None) -> ScanAnswer:
    """answer_code for a Digital Link already parsed (the resolver's JSON verdict: its pipeline parsed it)."""
    if link.serial is None:
        return ScanAnswer(400, title=_("This code names a product, not one unit"),
                          detail=_("Only codes with a serial number (21) can be checked for authenticity."))
    try:
        verdict, scan = judge_scan(link, client_address=client_address, user_agent=user_agent, viewer=viewer)
    except MalformedCode as err:
        return ScanAnswer(400, title=_("This is not a valid product code"), detail=str(err))
    return ScanAnswer(verdict.status, verdict, scan, link)


def judge_scan(link: DigitalLink, *, client_address: str, user_agent: str,
               viewer=None) -> tuple[Verdict, RecordedScan]:
    """Verify the code, record the scan, and look for clone patterns.

    The scan is written before the clone check counts it. A view does all three in its request's
    transaction: on SQLite the INSERT takes the write lock, so simultaneous scans of one code are counted one
    after another and none misses the other. A lean answer runs in autocommit (core/lean_work.py): the scan
    is committed as it is written, before the count, which then sees every scan committed before its own;
    an alert is written in a transaction of its own (clones.raise_alert)."""
    verdict = verify_code(link.gtin, link.serial, link.query, link.lot)
    unit = verdict.unit
    by_owner = False
    if unit is not None and viewer is not None and getattr(viewer, "is_authenticated", False):
        owner = CURRENT_OWNER.first({"unit_id": unit.id})
        by_owner = owner is not None and owner[0] == viewer.id
    scan = record_scan(unit, verdict.kind.value, verdict.reason, client=client_fingerprint(client_address, user_agent),
                       by_owner=by_owner, label_number=verdict.label_number)
    genuine = verdict.kind in (VerdictKind.GENUINE, VerdictKind.WARNING)
    # This very scan tipped the balance (a new alert): say so now, not only on the next scan.
    tipped = genuine and check_for_clone(unit, scan, registered=verdict.registered_since is not None) is not None
    if tipped and "clone_suspected" not in verdict.warnings:
        verdict.warnings.append("clone_suspected")
        if verdict.kind is VerdictKind.GENUINE:
            verdict.kind, verdict.message = VerdictKind.WARNING, WARNINGS["clone_suspected"]
    verdict_given.send(verdict, kind=verdict.kind.value, channel="qr")  # final now: the clone check may downgrade it
    return verdict, scan


CURRENT_OWNER = Prebuilt(lambda: select(Ownership.owner_id).where(Ownership.unit_id == bindparam("unit_id"),
                                                                  Ownership.is_current))


def scan_awaiting_place(scan_id: int) -> Scan | None:
    """The scan a signed token names, while its place is not yet known."""
    scan = db.session.get(Scan, scan_id)
    return scan if scan is not None and scan.lat is None else None


def place_scan(scan: Scan, lat: float, lon: float) -> None:
    """Attach a consented, coarse location to a scan and re-check for impossible travel.

    Both coordinates or neither: half a place would be stored and later break the travel check."""
    lat, lon = coarse(lat, 90), coarse(lon, 180)
    if lat is None or lon is None:
        raise Invalid("lat must be a number from -90 to 90 and lon one from -180 to 180")
    scan.lat, scan.lon = lat, lon
    if scan.unit_id is None:
        return
    unit = db.session.get(Unit, scan.unit_id)
    registered = db.session.scalar(select(Ownership.id).where(Ownership.unit_id == unit.id,
                                                              Ownership.is_current)) is not None
    check_for_clone(unit, scan, registered=registered)


def report_counterfeit(*, gtin: str, serial: str, code: str, message: str, where_seen: str, contact: str,
                       photo: tuple[bytes, str] | None) -> CounterfeitReport:
    """File a suspected fake with the manufacturer whose GTIN it carries (or with the platform if unknown)."""
    message = message.strip()
    if len(message) < 10:
        raise Invalid("Tell us in a sentence what makes you suspicious (at least 10 characters).", field="message")
    contact = contact.strip().lower()
    if contact and not EMAIL_RE.match(contact):
        raise Invalid("Leave the e-mail address empty, or give a valid one.", field="contact")
    gtin14 = ""
    if gtin.strip():
        try:
            gtin14 = canonical_gtin(gtin)
        except GS1Error as err:
            raise Invalid(str(err), field="gtin") from None
    model = db.session.scalar(select(ProductModel).where(ProductModel.gtin == gtin14)) if gtin14 else None
    unit = None
    if model is not None and serial.strip():
        unit = db.session.scalar(select(Unit).where(Unit.model_id == model.id, Unit.serial == serial.strip()))
    report = CounterfeitReport(manufacturer_id=model.manufacturer_id if model else None,
                               unit_id=unit.id if unit else None, gtin=gtin14, serial=serial.strip()[:20],
                               code_text=code.strip()[:500], message=message[:4000], where_seen=where_seen.strip()[:200],
                               contact=contact)
    if photo is not None:
        report.photo_key = store_image(photo[0], photo[1], field="photo").key
    db.session.add(report)
    db.session.flush()
    return report
