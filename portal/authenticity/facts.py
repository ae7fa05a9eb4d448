"""Everything a verdict needs about a code, read in one round trip.

The verdict is the portal's busiest public answer, so its reads are one prebuilt statement (compiled once
per process, run on the session's DBAPI connection: core/prebuilt.py) returning plain facts, not ORM objects: the model
and its maker, the unit, the signing key and label the code names, the unit's warranty terms, its
ownerships (one row each, so a registered unit costs no second statement), and the status facts (open
recall, open clone alert). Extensions of cover, which few units have, are read by a second statement only
when the unit has one. The warranty rules themselves stay in portal.warranty.coverage, which takes these
facts instead of querying for them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import and_, bindparam, exists, select

from portal.authenticity.models import AlertState, CloneAlert, KeyState, Label, LabelState, SigningKey
from portal.catalog.models import Disposition, Lot, Manufacturer, ProductModel, Unit
from portal.core.db import is_one_of
from portal.core.prebuilt import Prebuilt
from portal.ownership.models import Ownership
from portal.recalls.status import open_recall_clause
from portal.warranty.coverage import DEFAULT_TERMS, CoverageFacts, TermsFacts
from portal.warranty.models import ExtendedCoverage, WarrantyTerms


@dataclass(frozen=True)
class MakerFacts:
    id: int
    name: str
    clone_window_minutes: int
    clone_max_clients: int
    clone_max_kmh: int
    clone_max_strangers: int


@dataclass(frozen=True)
class ModelFacts:
    """Read by the verdict page and JSON as `model.*`, like the ORM model it stands for."""
    id: int
    gtin: str
    name: str
    image_path: str | None
    warranty_months: int
    manufacturer: MakerFacts


@dataclass(frozen=True)
class UnitFacts:
    id: int
    serial: str
    status: Disposition
    manufactured_on: date | None
    created_at: datetime
    replaces_id: int | None
    manufacturer_id: int
    model: ModelFacts
    lot: str | None = None  # the lot the manufacturer recorded it in


@dataclass(frozen=True)
class KeyFacts:
    manufacturer_id: int
    state: KeyState
    public_key: bytes
    revoked_at: datetime | None
    revoked_reason: str


class OwnershipFacts(NamedTuple):
    since: datetime
    purchased_on: date | None
    proof_key: str | None
    source: str


class ExtensionFacts(NamedTuple):
    starts_on: date
    months: int
    scope: str
    note: str | None


@dataclass(frozen=True)
class Found:
    """What one code names; `unit` is None for a serial the maker never made, `key` None for an unknown kid."""
    model: ModelFacts
    unit: UnitFacts | None
    key: KeyFacts | None
    label_kid: str | None
    label_state: LabelState | None
    terms: TermsFacts
    registered_since: datetime | None  # since when its current owner has it
    ownerships: tuple[OwnershipFacts, ...]  # oldest first (named as warranty coverage reads them)
    has_extensions: bool
    recalled: bool
    cloned: bool


def _statement():
    """The lookup; LOOKUP compiles it once per process (building and compiling cost more than running it)."""
    return (
        select(ProductModel.id, ProductModel.gtin, ProductModel.name, ProductModel.image_path,
               ProductModel.warranty_months,
               Manufacturer.id, Manufacturer.name, Manufacturer.clone_window_minutes, Manufacturer.clone_max_clients,
               Manufacturer.clone_max_kmh, Manufacturer.clone_max_strangers,
               Unit.id, Unit.serial, Unit.status, Unit.manufactured_on, Unit.created_at, Unit.replaces_id, Lot.code,
               SigningKey.manufacturer_id, SigningKey.state, SigningKey.public_key, SigningKey.revoked_at,
               SigningKey.revoked_reason,
               Label.kid, Label.state,
               WarrantyTerms.clock_start, WarrantyTerms.grace_days, WarrantyTerms.survives_transfer,
               WarrantyTerms.replacement_rule, WarrantyTerms.scope, WarrantyTerms.id,
               Ownership.since, Ownership.purchased_on, Ownership.proof_key, Ownership.source, Ownership.until,
               exists().where(ExtendedCoverage.unit_id == Unit.id),
               open_recall_clause(Unit.id),
               exists().where(CloneAlert.unit_id == Unit.id, is_one_of(CloneAlert.state, (AlertState.OPEN,))))
        .select_from(ProductModel)
        .join(Manufacturer, Manufacturer.id == ProductModel.manufacturer_id)
        .outerjoin(Unit, and_(Unit.model_id == ProductModel.id, Unit.serial == bindparam("serial")))
        .outerjoin(Lot, Lot.id == Unit.lot_id)
        .outerjoin(SigningKey, SigningKey.kid == bindparam("kid"))
        .outerjoin(Label, and_(Label.unit_id == Unit.id, Label.number == bindparam("number")))
        .outerjoin(WarrantyTerms, WarrantyTerms.model_id == ProductModel.id)
        .outerjoin(Ownership, Ownership.unit_id == Unit.id)
        .where(ProductModel.gtin == bindparam("gtin"))
        .order_by(Ownership.since)
    )


LOOKUP = Prebuilt(_statement)


def lookup(gtin14: str, serial: str, kid: str | None = None, number: int | None = None) -> Found | None:
    """The facts behind one code, or None when no maker on the portal has this GTIN."""
    rows = LOOKUP.all({"gtin": gtin14, "serial": serial, "kid": kid, "number": number})
    if not rows:
        return None
    (model_id, gtin, name, image_path, months, maker_id, maker_name, window, max_clients, max_kmh, max_strangers,
     unit_id, unit_serial, status, made, created, replaces_id, lot,
     key_maker, key_state, public_key, revoked_at, revoked_reason, label_kid, label_state,
     clock_start, grace_days, survives, replacement, scope, terms_id,
     *_ownership, has_extensions, recalled, cloned) = rows[0]
    model = ModelFacts(model_id, gtin, name, image_path, months,
                       MakerFacts(maker_id, maker_name, window, max_clients, max_kmh, max_strangers))
    unit = None if unit_id is None else UnitFacts(unit_id, unit_serial, status, made, created, replaces_id,
                                                   maker_id, model, lot)
    key = None if key_maker is None else KeyFacts(key_maker, key_state, public_key, revoked_at, revoked_reason)
    terms = TermsFacts(**DEFAULT_TERMS) if terms_id is None else TermsFacts(clock_start, grace_days, survives,
                                                                            replacement, scope)
    owned = [row[_OWNERSHIP] for row in rows if row[_OWNERSHIP.start] is not None]
    since = next((own[0] for own in owned if own[4] is None), None)  # the current ownership has no end
    return Found(model, unit, key, label_kid, label_state, terms, since,
                 tuple(OwnershipFacts(*own[:4]) for own in owned), bool(has_extensions), bool(recalled), bool(cloned))


_OWNERSHIP = slice(31, 36)  # since, purchased_on, proof_key, source, until


EXTENSIONS = Prebuilt(lambda: select(ExtendedCoverage.starts_on, ExtendedCoverage.months, ExtendedCoverage.scope,
                                     ExtendedCoverage.note).where(ExtendedCoverage.unit_id == bindparam("unit_id")))


def coverage_facts(found: Found) -> CoverageFacts:
    """The unit's ownerships and extensions (named as coverage() reads them); extensions are read only when
    the lookup saw that it has any."""
    extensions = [ExtensionFacts(*row) for row in EXTENSIONS.all({"unit_id": found.unit.id})] \
        if found.has_extensions else []
    return CoverageFacts(found.terms, list(found.ownerships), extensions)
