"""Writes of passports: the kind of a model's passport, new versions of static (model, lot) and dynamic (unit)
data, imports, the lifecycle (repurposing, remanufacturing, recycling) and reading rights. Plain arguments
in, domain objects out; flush, never commit (docs/architecture.md, "Reads and writes")."""
from __future__ import annotations

import json
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.accounts.services import find_user
from portal.catalog.models import BizStep, Disposition, Lot, Manufacturer, ProductModel, Unit
from portal.catalog.services import create_unit, parse_gtin, parse_serial, record_event
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, NotAllowed, NotFound
from portal.extensions import db
from portal.passport import queries
from portal.passport.fields import Kind, Scope
from portal.passport.models import (
    GrantTier,
    PassportGrant,
    PassportLifecycle,
    PassportModel,
    PassportVersion,
    Subject,
)
from portal.passport.validation import FieldErrors, validate

STATUS_KEY = "generalProductInformation.batteryStatus"
NEW_LIFE = {"repurposed": "Repurposed", "remanufactured": "Remanufactured", "reused": "Reused"}
ROLES = ("repairer", "remanufacturer", "second_life_operator", "recycler", "notified_body", "market_surveillance",
         "commission")


class PassportInvalid(Invalid):
    """Fields were refused; `fields` maps each field key to its reason (`errors`: the API's problem list).
    Nothing was stored."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(_("Some passport fields were refused: %(fields)s",
                           fields="; ".join(f"{k} {v}" for k, v in fields.items())))
        self.fields = fields
        self.errors = [{"location": "json", "field": k, "detail": v} for k, v in fields.items()]


def set_kind(tenant: Manufacturer, model: ProductModel, kind: Kind | str, *, actor) -> PassportModel:
    """Give a model a passport of `kind`. The kind cannot change once data was entered under it."""
    if model.manufacturer_id != tenant.id:
        raise NotFound(_("No such model."))
    try:
        kind = Kind(kind)
    except ValueError:
        raise Invalid(_("'%(kind)s' is not a passport kind (battery, generic).", kind=str(kind)[:20]),
                      field="kind") from None
    row = db.session.scalar(select(PassportModel).where(PassportModel.model_id == model.id))
    if row is not None and row.kind is not kind:
        if db.session.scalar(select(PassportVersion.id).where(PassportVersion.model_id == model.id).limit(1)):
            raise Conflict(_("This model's passport already holds data; its kind cannot change."))
        row.kind = kind
    elif row is None:
        row = PassportModel(manufacturer_id=tenant.id, model_id=model.id, kind=kind)
        db.session.add(row)
    db.session.flush()
    audit.log(actor, "passport.kind_set", model, kind=kind.value)
    return row


def _kind(model_id: int) -> Kind:
    kind = queries.kind_of_model(model_id)
    if kind is None:
        raise Conflict(_("This model has no passport yet: choose its kind first."))
    return kind


def _append(tenant_id: int, model_id: int, subject: Subject, subject_id: int, number: int, base: dict,
            merged: dict, *, source: str, actor) -> PassportVersion | None:
    changed = sorted(k for k in set(base) | set(merged) if base.get(k) != merged.get(k))
    if not changed:
        return None
    version = PassportVersion(
        manufacturer_id=tenant_id, model_id=model_id, subject=subject, subject_id=subject_id, number=number + 1,
        data=queries.json_text(merged), changed=json.dumps(changed), source=source,
        actor_id=getattr(actor, "id", None),
        actor_label=(getattr(actor, "email", None) or (actor if isinstance(actor, str) else ""))[:120])
    try:
        with db.session.begin_nested():
            db.session.add(version)
    except IntegrityError:
        raise Conflict(_("Someone else changed this passport at the same moment; load it again and repeat.")) from None
    return version


def _check_static(tenant: Manufacturer, model: ProductModel, values: dict, lot: str | None):
    if model.manufacturer_id != tenant.id:
        raise NotFound(_("No such model."))
    kind = _kind(model.id)
    if lot:
        row = db.session.scalar(select(Lot).where(Lot.model_id == model.id, Lot.code == lot))
        if row is None:
            raise Invalid(_("Lot %(lot)s is not a lot of this model.", lot=lot[:20]), field="lot")
        subject, subject_id = Subject.LOT, row.id
    else:
        subject, subject_id = Subject.MODEL, model.id
    base, number = queries.own_data(subject, subject_id)
    try:
        merged = validate(kind, Scope.STATIC, values, base=base, require=subject is Subject.MODEL)
    except FieldErrors as err:
        raise PassportInvalid(err.errors) from None
    return subject, subject_id, base, number, merged


def save_static(tenant: Manufacturer, model: ProductModel, values: dict, *, lot: str | None = None, actor,
                source: str = "console") -> PassportVersion | None:
    """A new version of a model's static data (or of one lot's, which overrides its model's). The model's data
    must hold every required field; any refused field stores nothing. None when nothing changed."""
    subject, subject_id, base, number, merged = _check_static(tenant, model, values, lot)
    version = _append(tenant.id, model.id, subject, subject_id, number, base, merged, source=source, actor=actor)
    if version is not None:
        audit.log(actor, "passport.static_saved", model, manufacturer_id=tenant.id, lot=lot, version=version.number,
                  changed=version.changed_keys)
    return version


def save_dynamic(unit: Unit, values: dict, *, actor, source: str = "api") -> PassportVersion | None:
    """A new version of one unit's dynamic data (state of health, cycles, negative events...)."""
    kind = _kind(unit.model_id)
    life = db.session.scalar(select(PassportLifecycle).where(PassportLifecycle.unit_id == unit.id))
    if life is not None and life.ceased_at is not None:
        raise Conflict(_("This passport has ceased (the battery was recycled); it takes no more data."))
    base, number = queries.own_data(Subject.UNIT, unit.id)
    try:
        merged = validate(kind, Scope.DYNAMIC, values, base=base)
    except FieldErrors as err:
        raise PassportInvalid(err.errors) from None
    version = _append(unit.manufacturer_id, unit.model_id, Subject.UNIT, unit.id, number, base, merged,
                      source=source, actor=actor)
    if version is not None:
        audit.log(actor, "passport.dynamic_saved", unit, version=version.number, changed=version.changed_keys,
                  source=source)
    return version


def import_static(tenant: Manufacturer, rows: list[dict], *, actor) -> list[dict]:
    """Import static data: each row {"gtin", "lot"?, "fields": {...}}. Every row is checked; if any is refused,
    nothing is stored and the report says why for each row. The report: one {"row", "result", "errors"} a row."""
    report, work = [], []
    for n, row in enumerate(rows, start=1):
        entry = {"row": n, "result": "ok", "errors": {}}
        report.append(entry)
        try:
            if not isinstance(row, dict) or not isinstance(row.get("fields"), dict):
                raise Invalid(_("a row needs a gtin and an object of fields"), field="row")
            gtin = parse_gtin(str(row.get("gtin") or ""))
            model = db.session.scalar(select(ProductModel).where(ProductModel.gtin == gtin,
                                                                 ProductModel.manufacturer_id == tenant.id))
            if model is None:
                raise Invalid(_("GTIN %(gtin)s is not one of your models", gtin=gtin), field="gtin")
            work.append((n, model, row.get("lot") or None, row["fields"]))
        except Invalid as err:
            entry["result"], entry["errors"] = "refused", {err.field or "row": str(err)}
    for n, model, lot, fields in work:
        try:
            _check_static(tenant, model, fields, lot)  # checked only: stored below once every row passed
        except PassportInvalid as err:
            report[n - 1]["result"], report[n - 1]["errors"] = "refused", err.fields
        except (Invalid, Conflict) as err:
            report[n - 1]["result"], report[n - 1]["errors"] = "refused", {err.field or "row": str(err)}
    if any(e["result"] != "ok" for e in report):
        return report
    for _n, model, lot, fields in work:
        save_static(tenant, model, fields, lot=lot, actor=actor, source="import")
    return report


def _life(unit: Unit) -> PassportLifecycle:
    row = db.session.scalar(select(PassportLifecycle).where(PassportLifecycle.unit_id == unit.id))
    if row is None:
        row = PassportLifecycle(manufacturer_id=unit.manufacturer_id, unit_id=unit.id, reason="")
        db.session.add(row)
    return row


def begin_new_life(unit: Unit, *, new_serial: str, reason: str, actor, on: date | None = None) -> Unit:
    """Repurposing, remanufacturing or re-use: a new unit (new serial, so a new passport identifier) whose
    passport is linked both ways to the original's, which stays readable with its status set to match."""
    if reason not in NEW_LIFE:
        raise Invalid(_("The reason is repurposed, remanufactured or reused."), field="reason")
    _kind(unit.model_id)
    own = db.session.scalar(select(PassportLifecycle).where(PassportLifecycle.unit_id == unit.id))
    if own is not None and own.ceased_at is not None:
        raise Conflict(_("This passport has ceased (the battery was recycled)."))
    if db.session.scalar(select(PassportLifecycle.id).where(PassportLifecycle.predecessor_unit_id == unit.id)):
        raise Conflict(_("This battery already has a passport for its new life."))
    tenant = db.session.get(Manufacturer, unit.manufacturer_id)
    model = db.session.get(ProductModel, unit.model_id)
    new = create_unit(tenant, gtin=model.gtin, serial=parse_serial(new_serial), manufactured_on=on or date.today(),
                      actor=actor)
    db.session.add(PassportLifecycle(manufacturer_id=unit.manufacturer_id, unit_id=new.id,
                                     predecessor_unit_id=unit.id, reason=reason))
    data, _number = queries.own_data(Subject.UNIT, unit.id)
    if _kind(unit.model_id) is Kind.BATTERY:
        save_dynamic(unit, {STATUS_KEY: NEW_LIFE[reason]}, actor=actor, source="lifecycle")
        data[STATUS_KEY] = NEW_LIFE[reason]
    _append(new.manufacturer_id, new.model_id, Subject.UNIT, new.id, 0, {}, data, source="lifecycle", actor=actor)
    record_event(unit, BizStep.DECOMMISSIONING, Disposition.INACTIVE, actor=actor,
                 note=f"{NEW_LIFE[reason]} as serial {new.serial}")
    db.session.flush()
    audit.log(actor, "passport.new_life", unit, reason=reason, successor=new.serial)
    return new


def recycle(unit: Unit, *, actor, note: str = "") -> PassportLifecycle:
    """The battery was recycled: its passport ceases (Regulation (EU) 2023/1542 Art. 77(8)) and its code's
    passport answers 410 with what happened and when."""
    kind = _kind(unit.model_id)
    life = _life(unit)
    if life.ceased_at is not None:
        raise Conflict(_("This passport has already ceased."))
    if kind is Kind.BATTERY:
        save_dynamic(unit, {STATUS_KEY: "Waste"}, actor=actor, source="lifecycle")
    life.ceased_at = utcnow()
    life.ceased_note = (note or "Recycled")[:300]
    record_event(unit, BizStep.DESTROYING, Disposition.DESTROYED, actor=actor, note="Recycled; passport ceased")
    db.session.flush()
    audit.log(actor, "passport.ceased", unit, note=life.ceased_note)
    return life


def grant(email: str, tier: GrantTier | str, role: str, *, manufacturer: Manufacturer | None, actor) -> PassportGrant:
    """Let a person read a higher tier of one manufacturer's passports (or of all: `manufacturer` None, which
    only a platform admin may grant). Audit-logged."""
    if manufacturer is None and not getattr(actor, "is_platform_admin", False):
        raise NotAllowed(_("Only a platform admin grants access to every manufacturer's passports."))
    try:
        tier = GrantTier(tier)
    except ValueError:
        raise Invalid(_("Choose the access tier from the list."), field="tier") from None
    if role not in ROLES:
        raise Invalid(_("The role is one of: %(roles)s.", roles=", ".join(ROLES)), field="role")
    user = find_user(email or "")
    if user is None or user.is_erased:
        raise Invalid(_("No account has this e-mail address; the person signs up first."), field="email")
    row = PassportGrant(user_id=user.id, manufacturer_id=manufacturer.id if manufacturer else None, tier=tier,
                        role=role, granted_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    audit.log(actor, "passport.access_granted", row, manufacturer_id=row.manufacturer_id, user=user.email,
              tier=tier.value, role=role)
    return row


def revoke(grant_id: int, *, manufacturer: Manufacturer | None, actor) -> PassportGrant:
    row = db.session.get(PassportGrant, grant_id)
    if row is None or row.manufacturer_id != (manufacturer.id if manufacturer else None):
        raise NotFound(_("No such grant."))
    if manufacturer is None and not getattr(actor, "is_platform_admin", False):
        raise NotAllowed(_("Only a platform admin revokes platform-wide access."))
    if row.revoked_at is not None:
        raise Conflict(_("This grant was already revoked."))
    row.revoked_at, row.revoked_by_id = utcnow(), getattr(actor, "id", None)
    db.session.flush()
    audit.log(actor, "passport.access_revoked", row, manufacturer_id=row.manufacturer_id, tier=row.tier.value)
    return row
