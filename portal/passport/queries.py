"""Reads of passports: one unit's passport at a version, its history, who reads at which tier, and the lists
the console and the exports show. Every read returns frozen dataclasses (docs/architecture.md, "Reads and writes")."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from portal.accounts.models import StaffMembership, User
from portal.catalog.models import Lot, Manufacturer, ProductModel, Unit
from portal.core.errors import NotFound
from portal.extensions import db
from portal.passport.fields import BATTERY_STATUS, Kind, Scope, Tier, fields_of
from portal.passport.models import (
    GrantTier,
    PassportGrant,
    PassportLifecycle,
    PassportModel,
    PassportVersion,
    Subject,
)

GRANT_TIERS = {GrantTier.LEGITIMATE_INTEREST: Tier.LEGITIMATE_INTEREST, GrantTier.AUTHORITY: Tier.AUTHORITY}


@dataclass(frozen=True)
class Related:
    gtin: str
    serial: str
    identifier: str
    reason: str


@dataclass(frozen=True)
class Passport:
    unit_id: int
    manufacturer_id: int
    manufacturer: str
    manufacturer_slug: str
    model_id: int
    model_name: str
    gtin: str
    serial: str
    lot: str | None
    kind: Kind
    identifier: str  # the passport's own identifier (urn:provenance:...)
    product_identifier: str  # the unit's GS1 Digital Link URI
    data: dict  # field key -> value, as of `version`
    updated: dict  # field key -> when it was last set (dynamic fields)
    version: str  # "<model>.<lot>.<unit>" version numbers; 0 where that level has none
    latest: str
    issued_at: datetime | None
    ceased_at: datetime | None = None
    ceased_note: str = ""
    predecessor: Related | None = None
    successor: Related | None = None

    @property
    def path(self) -> str:
        return f"/01/{self.gtin}/21/{quote(self.serial, safe='')}"

    @property
    def ceased(self) -> bool:
        return self.ceased_at is not None


@dataclass(frozen=True)
class VersionRow:
    subject: str
    number: int
    created_at: datetime
    source: str
    actor: str
    changed: tuple[str, ...] = field(default_factory=tuple)


def passport_identifier(gtin: str, serial: str) -> str:
    """A passport's identifier: stable for the unit, unique, and in the form the data model asks for."""
    return "urn:provenance:" + hashlib.sha256(f"{gtin}/{serial}".encode()).hexdigest()[:32]


def digital_link(gtin: str, serial: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/01/{gtin}/21/{quote(serial, safe='')}"


def kind_of_model(model_id: int) -> Kind | None:
    return db.session.scalar(select(PassportModel.kind).where(PassportModel.model_id == model_id))


def _versions(subject: Subject, subject_id: int | None, upto: int | None = None) -> list[PassportVersion]:
    if subject_id is None:
        return []
    stmt = select(PassportVersion).where(PassportVersion.subject == subject, PassportVersion.subject_id == subject_id)
    if upto is not None:
        stmt = stmt.where(PassportVersion.number <= upto)
    return list(db.session.scalars(stmt.order_by(PassportVersion.number)))


def _related(unit_id: int, reason: str) -> Related:
    gtin, serial = db.session.execute(select(ProductModel.gtin, Unit.serial).join(
        ProductModel, ProductModel.id == Unit.model_id).where(Unit.id == unit_id)).one()
    return Related(gtin, serial, passport_identifier(gtin, serial), reason)


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    if not text:
        return None
    parts = text.split(".")
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 9 for p in parts):
        raise NotFound(_("No such version of this passport."))
    return int(parts[0]), int(parts[1]), int(parts[2])


def passport_of(unit: Unit, version: str | None = None) -> Passport | None:
    """The unit's passport as of `version` (the current one without), or None when its model has none."""
    row = db.session.execute(select(PassportModel.kind, ProductModel, Manufacturer).join(
        ProductModel, ProductModel.id == PassportModel.model_id).join(
        Manufacturer, Manufacturer.id == ProductModel.manufacturer_id).where(
        PassportModel.model_id == unit.model_id)).first()
    if row is None:
        return None
    kind, model, maker = row
    wanted = parse_version(version)
    levels = ((Subject.MODEL, model.id), (Subject.LOT, unit.lot_id), (Subject.UNIT, unit.id))
    chains = [_versions(s, i) for s, i in levels]
    latest = tuple(c[-1].number if c else 0 for c in chains)
    if wanted is not None:
        if any(w > n for w, n in zip(wanted, latest, strict=True)) or (wanted[0] < 1 <= latest[0]):
            raise NotFound(_("No such version of this passport."))
        chains = [[v for v in c if v.number <= w] for c, w in zip(chains, wanted, strict=True)]
    data: dict = {}
    for chain in chains:
        if chain:
            data.update(chain[-1].values)
    updated: dict = {}
    for v in chains[2]:
        for key in v.changed_keys:
            updated[key] = v.created_at
    lot = db.session.get(Lot, unit.lot_id).code if unit.lot_id else None
    ident, dl = passport_identifier(model.gtin, unit.serial), digital_link(model.gtin, unit.serial)
    _derived(kind, data, ident, dl, unit, model)
    life = db.session.scalar(select(PassportLifecycle).where(PassportLifecycle.unit_id == unit.id))
    after = db.session.scalar(select(PassportLifecycle).where(PassportLifecycle.predecessor_unit_id == unit.id))
    issued = [c[0].created_at for c in chains if c]
    return Passport(
        unit_id=unit.id, manufacturer_id=maker.id, manufacturer=maker.name, manufacturer_slug=maker.slug,
        model_id=model.id, model_name=model.name, gtin=model.gtin, serial=unit.serial, lot=lot, kind=kind,
        identifier=ident, product_identifier=dl, data=data, updated=updated,
        version=".".join(str(c[-1].number if c else 0) for c in chains), latest=".".join(map(str, latest)),
        issued_at=min(issued) if issued else None,
        ceased_at=life.ceased_at if life else None, ceased_note=life.ceased_note if life else "",
        predecessor=_related(life.predecessor_unit_id, life.reason) if life and life.predecessor_unit_id else None,
        successor=_related(after.unit_id, after.reason) if after else None)


def _derived(kind: Kind, data: dict, ident: str, dl: str, unit: Unit, model: ProductModel) -> None:
    if kind is Kind.BATTERY:
        data["generalProductInformation.productIdentifier"] = dl
        data["generalProductInformation.batteryPassportIdentifier"] = ident
        if unit.manufactured_on:
            data["generalProductInformation.manufacturingDate"] = f"{unit.manufactured_on.isoformat()}T00:00:00Z"
        data.setdefault("generalProductInformation.batteryStatus", BATTERY_STATUS[0])
    else:
        data["identification.productIdentifier"] = dl
        data["identification.passportIdentifier"] = ident
        data["identification.productName"] = model.name


def passport_path(gtin: str, serial: str) -> str | None:
    """Where a unit's passport is, when its model has one (other areas' pages link it through a template
    global, so they need not import this area)."""
    has = db.session.scalar(select(PassportModel.id).join(ProductModel, ProductModel.id == PassportModel.model_id)
                            .where(ProductModel.gtin == gtin))
    return f"/passport/01/{gtin}/21/{quote(serial, safe='')}" if has is not None else None


def history(passport: Passport) -> list[VersionRow]:
    """Every version of the model's, lot's and unit's data, newest first."""
    unit = db.session.get(Unit, passport.unit_id)
    rows = [*_versions(Subject.MODEL, unit.model_id), *_versions(Subject.LOT, unit.lot_id),
            *_versions(Subject.UNIT, unit.id)]
    rows.sort(key=lambda v: (v.created_at, v.id), reverse=True)
    return [VersionRow(v.subject.value, v.number, v.created_at, v.source, v.actor_label,
                       tuple(v.changed_keys)) for v in rows]


def static_data(model_id: int, lot_id: int | None = None) -> tuple[dict, int]:
    """The current static data of a model (or of a lot over its model) and its version number."""
    model = _versions(Subject.MODEL, model_id)
    data = dict(model[-1].values) if model else {}
    number = model[-1].number if model else 0
    if lot_id is not None:
        lot = _versions(Subject.LOT, lot_id)
        if lot:
            data.update(lot[-1].values)
            number = lot[-1].number
        else:
            number = 0
    return data, number


def static_for(model_id: int, lot_code: str | None) -> tuple[dict, int]:
    """The model's own static data, or one lot's overrides, with its version number."""
    if lot_code is None:
        return own_data(Subject.MODEL, model_id)
    lot_id = db.session.scalar(select(Lot.id).where(Lot.model_id == model_id, Lot.code == lot_code))
    return own_data(Subject.LOT, lot_id) if lot_id is not None else ({}, 0)


def own_data(subject: Subject, subject_id: int) -> tuple[dict, int]:
    chain = _versions(subject, subject_id)
    return (dict(chain[-1].values), chain[-1].number) if chain else ({}, 0)


def reader_tier(user, manufacturer_id: int) -> Tier:
    """The highest tier `user` reads of this manufacturer's passports: its staff read everything; others what
    an active grant (for this manufacturer or for every one) gives; everyone else the public tier."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Tier.PUBLIC
    staff = db.session.scalar(select(StaffMembership.id).where(
        StaffMembership.user_id == user.id, StaffMembership.manufacturer_id == manufacturer_id).limit(1))
    if staff is not None:
        return Tier.AUTHORITY
    tiers = db.session.scalars(select(PassportGrant.tier).where(
        PassportGrant.user_id == user.id, PassportGrant.revoked_at.is_(None),
        or_(PassportGrant.manufacturer_id == manufacturer_id, PassportGrant.manufacturer_id.is_(None)))).all()
    return max((GRANT_TIERS[t] for t in tiers), default=Tier.PUBLIC)


@dataclass(frozen=True)
class GrantRow:
    id: int
    email: str
    tier: str
    role: str
    everywhere: bool
    granted_at: datetime
    granted_by: str
    revoked_at: datetime | None


def grants(manufacturer_id: int | None) -> list[GrantRow]:
    """Grants for one manufacturer's passports (None: the platform-wide ones), newest first."""
    granter = db.aliased(User)
    stmt = (select(PassportGrant, User.email, granter.email).join(User, User.id == PassportGrant.user_id)
            .outerjoin(granter, granter.id == PassportGrant.granted_by_id)
            .where(PassportGrant.manufacturer_id.is_(None) if manufacturer_id is None
                   else PassportGrant.manufacturer_id == manufacturer_id)
            .order_by(PassportGrant.id.desc()))
    return [GrantRow(g.id, email, g.tier.value, g.role, g.manufacturer_id is None, g.granted_at, by or "",
                     g.revoked_at) for g, email, by in db.session.execute(stmt)]


@dataclass(frozen=True)
class ModelRow:
    model_id: int
    gtin: str
    name: str
    kind: str | None
    version: int
    missing: tuple[str, ...]


def models_of(manufacturer_id: int) -> list[ModelRow]:
    """The tenant's models, each with its passport kind, static version and required fields still missing."""
    out = []
    kinds = dict(db.session.execute(select(PassportModel.model_id, PassportModel.kind).where(
        PassportModel.manufacturer_id == manufacturer_id)).all())
    for model in db.session.scalars(select(ProductModel).where(ProductModel.manufacturer_id == manufacturer_id)
                                    .order_by(ProductModel.name)):
        kind = kinds.get(model.id)
        data, number = static_data(model.id)
        missing = tuple(f.key for f in fields_of(kind) if f.scope is Scope.STATIC and f.required
                        and f.key not in data) if kind else ()
        out.append(ModelRow(model.id, model.gtin, model.name, kind.value if kind else None, number, missing))
    return out


def json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
