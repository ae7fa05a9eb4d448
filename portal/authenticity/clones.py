"""Scan records and clone detection.

A printed code can be photocopied; the copies then get scanned in patterns a single genuine unit does
not produce: many different phones within an hour, places further apart than anyone can travel in the
time between, or strangers repeatedly checking a unit that already has an owner. Thresholds are the
manufacturer's (Manufacturer.clone_*).
"""
from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, distinct, func, insert, literal_column, or_, select
from sqlalchemy.exc import IntegrityError

from portal.authenticity.models import AlertState, CloneAlert, Label, LabelState, Scan
from portal.core import audit, lean_work
from portal.core.db import utcnow
from portal.core.errors import Conflict
from portal.core.prebuilt import Prebuilt
from portal.extensions import db


def client_fingerprint(address: str, user_agent: str, *, day: date | None = None) -> str:
    """A keyed hash of address and browser under a key that changes every day: not reversible, not linkable
    across days."""
    day_key = _day_key(current_app.config["SECRET_KEY"], day or date.today())
    return hmac.digest(day_key, f"{address}|{user_agent}".encode(), "sha256").hex()[:24]


@lru_cache(maxsize=8)
def _day_key(secret: str, day: date) -> bytes:
    return hmac.digest(secret.encode(), day.isoformat().encode(), "sha256")


def coarse(value: float | None, limit: float) -> float | None:
    if value is None or not math.isfinite(value) or abs(value) > limit:
        return None
    return round(value, 1)


@dataclass(frozen=True)
class RecordedScan:
    """What the clone check and the place form need of a scan just written."""
    id: int
    at: datetime
    label_number: int | None
    lat: float | None
    lon: float | None


def record_scan(unit, verdict: str, reason: str, *, client: str, by_owner: bool = False,
                lat: float | None = None, lon: float | None = None, channel: str = "qr",
                label_number: int | None = None, nfc_counter: int | None = None) -> RecordedScan:
    """Write one scan (every verdict records one) as a plain INSERT in the request's transaction."""
    values = {"unit_id": unit.id if unit else None, "verdict": verdict, "reason": reason[:40], "client": client,
              "by_owner": by_owner, "lat": coarse(lat, 90), "lon": coarse(lon, 180), "channel": channel,
              "label_number": label_number, "nfc_counter": nfc_counter, "at": utcnow()}
    (scan_id,) = INSERT_SCAN.first(values)
    return RecordedScan(scan_id, values["at"], label_number, values["lat"], values["lon"])


_SCAN_FIELDS = ("unit_id", "verdict", "reason", "client", "by_owner", "lat", "lon", "channel", "label_number",
                "nfc_counter", "at")
INSERT_SCAN = Prebuilt(lambda: insert(Scan).values({name: bindparam(name, type_=Scan.__table__.c[name].type)
                                                    for name in _SCAN_FIELDS}).returning(Scan.id))


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def check_for_clone(unit, scan, *, registered: bool) -> CloneAlert | None:
    """Raise an alert when the unit's recent scans (the stored `scan` among them) are implausible for one
    physical code. `unit` is a Unit or the verdict's UnitFacts, `scan` a Scan or a RecordedScan."""
    evidence = clone_evidence(unit, at=scan.at, label_number=scan.label_number, registered=registered)
    if evidence is None and scan.lat is not None:
        evidence = _impossible_travel(unit, scan)
    return raise_alert(unit, scan.label_number, *evidence) if evidence else None


def clone_evidence(unit, *, at: datetime, label_number: int | None, registered: bool) -> tuple[str, str] | None:
    """Too many devices, or too many strangers to a registered unit, scanning one printed code within the
    maker's window: (kind, evidence) or None."""
    tenant = unit.model.manufacturer
    counts = RECENT_CLIENTS_OF_LABEL if label_number is not None else RECENT_CLIENTS_UNLABELLED
    clients, strangers = counts.first({"unit_id": unit.id, "since": at - timedelta(minutes=tenant.clone_window_minutes),
                                       "label": label_number})
    if clients >= tenant.clone_max_clients:
        return "many_clients", f"{clients} different devices scanned it within {tenant.clone_window_minutes} min"
    if registered and strangers >= tenant.clone_max_strangers:
        return "strangers", (f"{strangers} devices other than its owner's scanned this registered unit "
                             f"within {tenant.clone_window_minutes} min")
    return None


def _recent_clients(numbered: bool):
    """Distinct devices (and those not the owner's) that scanned one printed code of a unit since a moment."""
    unit_id = bindparam("unit_id")
    # Scans staff already judged (before their latest decision on this unit) do not count again.
    decided = select(func.max(CloneAlert.decided_at)).where(CloneAlert.unit_id == unit_id).scalar_subquery()
    return (select(func.count(distinct(Scan.client)), func.count(distinct(Scan.client)).filter(Scan.by_owner.is_(False)))
            .where(Scan.unit_id == unit_id, Scan.at >= bindparam("since", type_=Scan.__table__.c.at.type),
                   Scan.label_number == bindparam("label") if numbered else Scan.label_number.is_(None),
                   # copies of this printed code (a withdrawn or copied one does not count)
                   Scan.verdict.in_([literal_column("'genuine'"), literal_column("'warning'")]),
                   or_(decided.is_(None), Scan.at > decided)))


RECENT_CLIENTS_OF_LABEL = Prebuilt(lambda: _recent_clients(True))
RECENT_CLIENTS_UNLABELLED = Prebuilt(lambda: _recent_clients(False))


def _impossible_travel(unit, scan) -> tuple[str, str] | None:
    tenant = unit.model.manufacturer
    since = scan.at - timedelta(minutes=tenant.clone_window_minutes)
    previous = db.session.scalar(
        select(Scan).where(Scan.unit_id == unit.id, Scan.at >= since, Scan.id != scan.id, Scan.lat.is_not(None),
                           Scan.lon.is_not(None),  # rows stored before both were required together
                           Scan.label_number == scan.label_number)
        .order_by(Scan.at.desc()).limit(1))
    if previous is None:
        return None
    km = km_between(previous.lat, previous.lon, scan.lat, scan.lon)
    hours = max((scan.at - previous.at).total_seconds() / 3600, 1 / 60)
    if km > 50 and km / hours > tenant.clone_max_kmh:
        return "impossible_travel", f"scanned {km:,.0f} km apart within {hours * 60:.0f} min ({km / hours:,.0f} km/h)"
    return None


def raise_alert(unit, label_number: int | None, kind: str, detail: str) -> CloneAlert | None:
    """Open an alert for the unit, unless one is open already; None then."""
    if db.session.scalar(select(CloneAlert.id).where(CloneAlert.unit_id == unit.id, CloneAlert.state == AlertState.OPEN)):
        return None
    alert = CloneAlert(manufacturer_id=unit.manufacturer_id, unit_id=unit.id, label_number=label_number,
                       kind=kind, evidence=detail)
    try:
        with lean_work.atomic(db.session):  # a simultaneous scan may have raised the same alert
            db.session.add(alert)
    except IntegrityError:
        return None
    return alert


def scan_timeline(unit_id: int, limit: int = 50) -> list[Scan]:
    return list(db.session.scalars(select(Scan).where(Scan.unit_id == unit_id).order_by(Scan.at.desc()).limit(limit)))


def decide_alert(alert: CloneAlert, *, confirm: bool, actor) -> None:
    """Dismiss a false alarm, or confirm clones: the copied code then verifies as Not genuine."""
    if alert.state is not AlertState.OPEN:
        raise Conflict("This alert was already decided.")
    alert.state = AlertState.CONFIRMED if confirm else AlertState.DISMISSED
    alert.decided_at, alert.decided_by_id = utcnow(), getattr(actor, "id", None)
    if confirm:
        numbers = [alert.label_number] if alert.label_number else None
        stmt = select(Label).where(Label.unit_id == alert.unit_id, Label.state == LabelState.ACTIVE)
        if numbers:
            stmt = stmt.where(Label.number.in_(numbers))
        for label in db.session.scalars(stmt):
            label.state, label.state_reason, label.state_changed_at = LabelState.COMPROMISED, "copies confirmed", utcnow()
    audit.log(actor, "clone_alert.confirmed" if confirm else "clone_alert.dismissed", alert,
              manufacturer_id=alert.manufacturer_id, unit_id=alert.unit_id, kind=alert.kind)
