"""/api/v1/passports: a manufacturer's systems and its service partners read passports and post dynamic data
(scoped tokens, Idempotency-Key). The routes join the API blueprint (portal.api), so they share its bearer
tokens, problem documents, idempotency and OpenAPI document; the rules are the passport's (services.py)."""
from __future__ import annotations

import marshmallow as ma
from flask import current_app, g, jsonify
from marshmallow import fields

from portal.api.blueprint import bp, operation
from portal.api.models import Scope
from portal.api.schemas import Strict
from portal.catalog.queries import unit_with
from portal.catalog.services import parse_gtin, parse_serial
from portal.core.errors import DomainError, NotFound
from portal.passport import queries, serializer, services
from portal.passport.fields import Tier

TAG = "Passports"


class DynamicInSchema(Strict):
    fields = fields.Dict(keys=fields.String(), required=True, metadata={
        "description": "Dynamic fields by their key (aspect.path in the Battery Pass Data Model's names); a number "
                       "may be {\"value\": 0.42, \"unit\": \"kWh\"}; null clears a field.",
        "example": {"performanceAndDurability.batteryCondition.stateOfCertifiedEnergy.stateOfCertifiedEnergyValue":
                    92.5, "performanceAndDurability.batteryCondition.numberOfFullCycles.numberOfFullCyclesValue":
                    {"value": 214, "unit": "cycle"}}})


class PassportSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE


class VersionSchema(ma.Schema):
    version = fields.String(metadata={"example": "3.0.5"})
    changed = fields.List(fields.String())


def _unit(gtin: str, serial: str):
    try:
        gtin14, serial = parse_gtin(gtin), parse_serial(serial)
    except DomainError as err:
        err.location = "path"
        raise
    unit = unit_with(gtin14, serial)
    if unit is None or unit.manufacturer_id != g.tenant.id:  # another tenant's unit is not there (invariant 1)
        raise NotFound(f"No unit of yours has GTIN {gtin14} and serial {serial}.")
    return unit


@bp.route("/passports/<gtin:gtin>/<serial:serial>", methods=["GET"], tags=[TAG])
@operation(Scope.PASSPORTS_READ, errors=(410, 422))
@bp.response(200, PassportSchema)
def read_passport(gtin: str, serial: str):
    """Read a passport

    The whole passport of one of your units, every tier, as the public JSON is shaped (the data model's
    names per aspect). A ceased passport answers 410.
    """
    passport = queries.passport_of(_unit(gtin, serial))
    if passport is None:
        raise NotFound("This unit's model has no passport.")
    if passport.ceased:
        return jsonify(serializer.tombstone(passport)), 410
    return jsonify(serializer.document(passport, Tier.AUTHORITY, current_app.config["BASE_URL"].rstrip("/")))


@bp.route("/passports/<gtin:gtin>/<serial:serial>/dynamic", methods=["POST"], tags=[TAG])
@operation(Scope.PASSPORTS_WRITE, body=True, errors=(422,))
@bp.arguments(DynamicInSchema)
@bp.response(201, VersionSchema)
def post_dynamic(body: dict, gtin: str, serial: str):
    """Post dynamic data

    A new version of the unit's dynamic passport data (state of health, remaining capacity, cycles,
    negative events, time at extreme temperature, status). Every field is checked (type, unit, range,
    enumeration); if any is refused nothing is stored and `errors` names each. Nothing changed: 200.
    """
    unit = _unit(gtin, serial)
    version = services.save_dynamic(unit, body["fields"], actor=g.api_token.actor_label, source="api")
    passport = queries.passport_of(unit)
    if version is None:
        return {"version": passport.version, "changed": []}, 200
    return {"version": passport.version, "changed": version.changed_keys}
