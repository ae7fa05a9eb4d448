"""EPCIS sensor reports update battery passports: a captured event whose `sensorElementList` carries readings
of passport fields becomes a new version of each named unit's dynamic data, in the capture's transaction.

A reading names its field by `type`: the portal's battery vocabulary (SENSOR_VOCAB followed by the data
model's attribute name, e.g. `stateOfCertifiedEnergyValue`, or the measurement's name, `stateOfCertifiedEnergy`),
its value in `value` with a UN/ECE Rec. 20 `uom`, or a negative event in `stringValue`. Other readings (a
temperature logger's `gs1:MT-Temperature`) are the event log's and change no passport (docs/passport.md).
"""
from __future__ import annotations

from flask_babel import force_locale

from portal.catalog.models import Unit
from portal.core import audit
from portal.core.errors import Conflict
from portal.extensions import db
from portal.passport import queries
from portal.passport.fields import Kind, Scope, fields_of
from portal.passport.models import Subject
from portal.passport.services import PassportInvalid, save_dynamic

SENSOR_VOCAB = "https://provenance.example/voc/battery#"
NEGATIVE = "performanceAndDurability.batteryCondition.negativeEvents"


def _names() -> dict[str, str]:
    out = {}
    for f in fields_of(Kind.BATTERY):
        if f.scope is Scope.DYNAMIC and f.type == "number":
            parts = f.path.split(".")
            out[parts[-1]] = f.key
            if len(parts) >= 3 and parts[-1].endswith(("Value", "alue")):
                out[parts[-2]] = f.key
    return out


NAMES = _names()


def readings(body: dict) -> tuple[dict, list[dict]]:
    """(field key -> {"value", "unit"}, negative events) from an event's sensor reports."""
    values, negative = {}, []
    when = body.get("eventTime")
    for element in body.get("sensorElementList") or []:
        meta = element.get("sensorMetadata") or {} if isinstance(element, dict) else {}
        for report in (element.get("sensorReport") or []) if isinstance(element, dict) else []:
            if not isinstance(report, dict) or not str(report.get("type", "")).startswith(SENSOR_VOCAB):
                continue
            name = str(report["type"])[len(SENSOR_VOCAB):]
            if name == "negativeEvent":
                negative.append({"negativeEvent": report.get("stringValue"),
                                 "lastUpdate": report.get("time") or meta.get("time") or when})
            elif name in NAMES:
                values[NAMES[name]] = {"value": report.get("value"), "unit": report.get("uom") or ""}
            else:
                values[name[:80]] = report.get("value")  # an unknown name: validation names it
    return values, negative


def events_landed(tenant_id: int, *, events: list) -> None:
    """Receiver of core.signals.events_landed."""
    for unit_ids, body in events:
        values, negative = readings(body)
        if not values and not negative:
            continue
        for unit_id in unit_ids:
            unit = db.session.get(Unit, unit_id)
            if unit is None or queries.kind_of_model(unit.model_id) is not Kind.BATTERY:
                continue
            given = dict(values)
            if negative:
                current, _ = queries.own_data(Subject.UNIT, unit.id)
                given[NEGATIVE] = [*current.get(NEGATIVE, []), *negative]
            try:
                with force_locale("en"):  # a refusal's reasons go to the audit log, which is kept in English
                    save_dynamic(unit, given, actor="epcis", source="epcis")
            except (PassportInvalid, Conflict) as err:
                audit.log("epcis", "passport.sensor_refused", unit, event=body.get("eventID", ""),
                          reason=getattr(err, "fields", None) or str(err))
