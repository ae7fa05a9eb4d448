"""NFC tags on existing units: attach, replace, retire (docs/nfc.md). Keys as hex, as at import."""
from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import fields, validate

from portal.api.blueprint import bp, current_token, operation
from portal.api.models import Scope
from portal.api.schemas import Strict
from portal.api.units import load_unit
from portal.authenticity.tags import attach_tag, replace_tag, retire_tag

_KEY = validate.Regexp(r"^[0-9A-Fa-f]{32}$", error="An AES-128 key is 32 hexadecimal digits.")


class TagSchema(Strict):
    uid = fields.String(required=True, validate=validate.Length(min=1, max=20),
                        metadata={"description": "The tag's UID: 7 bytes as 14 hex digits", "example": "04DE5F1EACC040"})
    meta_key = fields.String(validate=_KEY, metadata={
        "description": "K_SDMMetaRead, 32 hex digits. Leave both keys out to derive them from your NFC master key."})
    file_key = fields.String(validate=_KEY, metadata={"description": "K_SDMFileRead, 32 hex digits."})


class TagResultSchema(ma.Schema):
    gtin = fields.String(required=True)
    serial = fields.String(required=True)
    nfc_uid = fields.String(required=True, allow_none=True)
    keys = fields.String(required=True, allow_none=True, validate=validate.OneOf(["own", "derived"]),
                         metadata={"description": "own: the keys you gave; derived: from your NFC master key"})


def _raw(data: dict, name: str) -> bytes | None:
    return bytes.fromhex(data[name]) if re.fullmatch(r"[0-9A-Fa-f]{32}", data.get(name) or "") else None


def _answer(unit, keys: str | None) -> dict:
    return {"gtin": unit.model.gtin, "serial": unit.serial, "nfc_uid": unit.nfc_uid, "keys": keys}


@bp.route("/units/<gtin:gtin>/<serial:serial>/nfc-tag", methods=["POST"], tags=["Units"])
@operation(Scope.UNITS_WRITE, body=True)
@bp.arguments(TagSchema)
@bp.response(201, TagResultSchema)
def attach_nfc_tag(data: dict, gtin: str, serial: str):
    """Attach an NFC tag

    Fit an NTAG 424 DNA tag to a unit that has none. With `meta_key` and `file_key` the tag's own keys are
    stored (encrypted); without them they are derived from your NFC master key. A unit that already has a
    tag, or a UID another unit carries, is refused (409).
    """
    unit = load_unit(gtin, serial)
    attach_tag(unit, data["uid"], meta_key=_raw(data, "meta_key"), file_key=_raw(data, "file_key"),
               actor=current_token().actor_label)
    return _answer(unit, "own" if data.get("meta_key") else "derived")


@bp.route("/units/<gtin:gtin>/<serial:serial>/nfc-tag", methods=["PUT"], tags=["Units"])
@operation(Scope.UNITS_WRITE, body=True)
@bp.arguments(TagSchema)
@bp.response(200, TagResultSchema)
def replace_nfc_tag(data: dict, gtin: str, serial: str):
    """Replace the NFC tag

    Swap the unit's tag for another; the old tag's taps stop verifying. A unit without a tag is refused (409).
    """
    unit = load_unit(gtin, serial)
    replace_tag(unit, data["uid"], meta_key=_raw(data, "meta_key"), file_key=_raw(data, "file_key"),
                actor=current_token().actor_label)
    return _answer(unit, "own" if data.get("meta_key") else "derived")


@bp.route("/units/<gtin:gtin>/<serial:serial>/nfc-tag", methods=["DELETE"], tags=["Units"])
@operation(Scope.UNITS_WRITE, body=True)
@bp.response(200, TagResultSchema)
def retire_nfc_tag(gtin: str, serial: str):
    """Retire the NFC tag

    Take the unit's tag out of use: its UID is freed and its taps no longer verify.
    """
    unit = load_unit(gtin, serial)
    retire_tag(unit, actor=current_token().actor_label)
    return _answer(unit, None)


