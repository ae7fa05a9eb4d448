"""Exports: the rows the EU digital product passport registry asks for (ESPR Art. 13), and a signed backup
copy of every passport that a third-party service provider can host and anyone can verify offline."""
from __future__ import annotations

import json

from flask import current_app
from sqlalchemy import select

from portal.authenticity.keys import b64url, sign
from portal.authenticity.models import KeyState, SigningKey
from portal.catalog.models import Manufacturer, ProductModel, Unit
from portal.core.db import utcnow
from portal.core.errors import NotFound
from portal.extensions import db
from portal.passport.fields import REGISTRY_KEYS, Tier
from portal.passport.models import PassportModel
from portal.passport.queries import digital_link, passport_identifier, passport_of, static_data
from portal.passport.serializer import document, visible_fields
from portal.passport.vc import portal_did

REGISTRY_COLUMNS = ["unique_product_identifier", "passport_identifier", "operator_identifier",
                    "facility_identifier", "commodity_code", "passport_url", "backup_copy"]
BATCH = 2000


def _units(tenant: Manufacturer):
    stmt = (select(Unit, ProductModel.gtin, PassportModel.kind).join(ProductModel, ProductModel.id == Unit.model_id)
            .join(PassportModel, PassportModel.model_id == Unit.model_id)
            .where(Unit.manufacturer_id == tenant.id).order_by(Unit.id))
    return db.session.execute(stmt.execution_options(yield_per=BATCH))


def registry_rows(tenant: Manufacturer):
    """One row a passport, public fields only (read through the serializer's tier table)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    backup = current_app.config.get("PASSPORT_BACKUP_URL", "")
    statics: dict[int, dict] = {}
    for unit, gtin, kind in _units(tenant):
        if unit.model_id not in statics:
            data, _ = static_data(unit.model_id)
            public = {f.key for f in visible_fields(kind, Tier.PUBLIC)}
            statics[unit.model_id] = {k: data.get(k, "") if k in public else ""
                                      for k in REGISTRY_KEYS[kind.value]}
        operator, facility, commodity = (statics[unit.model_id][k] for k in REGISTRY_KEYS[kind.value])
        dl = digital_link(gtin, unit.serial)
        yield {"unique_product_identifier": dl, "passport_identifier": passport_identifier(gtin, unit.serial),
               "operator_identifier": operator, "facility_identifier": facility, "commodity_code": commodity,
               "passport_url": base + "/passport" + dl[len(base):], "backup_copy": backup}


def backup_copy(tenant: Manufacturer) -> dict:
    """Every passport of the tenant as each tier reads it, signed as a flattened JWS (RFC 7515 section 7.2.2)
    with the manufacturer's active key, named in the portal's did:web document."""
    key = db.session.scalar(select(SigningKey).where(SigningKey.manufacturer_id == tenant.id,
                                                     SigningKey.state == KeyState.ACTIVE))
    if key is None:
        raise NotFound("You have no active signing key: create one on the Keys page first.")
    base = current_app.config["BASE_URL"].rstrip("/")
    passports = []
    for unit, _gtin, _kind in _units(tenant):
        passport = passport_of(unit)
        entry = {"identifier": passport.identifier, "ceasedAt": passport.ceased_at.isoformat()
                 if passport.ceased_at else None}
        entry["tiers"] = {t.word: document(passport, t, base) for t in Tier}
        passports.append(entry)
    payload = {"type": "ProvenancePassportBackup", "issuer": portal_did(), "manufacturer": tenant.slug,
               "generatedAt": utcnow().isoformat(timespec="seconds"), "passports": passports}
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    protected = b64url(json.dumps({"alg": "EdDSA", "typ": "dpp-backup+json", "kid": f"{portal_did()}#{key.kid}"},
                                  separators=(",", ":")).encode())
    body = b64url(raw)
    return {"protected": protected, "payload": body,
            "signature": b64url(sign(key, f"{protected}.{body}".encode()))}
