"""Which units a campaign affects, as one SELECT the database runs (never a Python loop per unit).

A unit matches when it matches every criterion the campaign names (models, lots, serial ranges, manufacture
window). A component campaign declares its **unit of remedy**:

- ``part``: the matched units themselves are counted; each remembers the outermost assembly that holds it
  (its *holder*, e.g. the bike around a pack), whose owner is told;
- ``assembly``: the outermost assembly holding each matched unit is counted instead (a matched unit without
  a parent counts as itself); the parts inside are not second units.

Either way one physical remedy is one affected unit, so completion cannot be halved by counting a pack
and its bike. Lots and serials compare case-insensitively when the manufacturer declares its identifiers
so (catalog.services.declare_identifier_case). Serial ranges are inclusive and compare serials as the
database sorts text, which is the model's own order for serials of one fixed width.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Integer, and_, cast, func, null, or_, select, true, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.sql import CompoundSelect, Select

from portal.catalog.models import Lot, Manufacturer, ProductModel, Unit
from portal.core.errors import Invalid
from portal.extensions import db
from portal.recalls.models import RecallCampaign, remedy_unit_of

REMEDY_UNITS = ("part", "assembly")
_SEPARATORS = re.compile(r"[\s\-_./]+")


def check_rules(rules: dict) -> dict:
    """Normalize criteria from a form or the API; refuse a campaign that would match everything."""
    unit = rules.get("remedy_unit") or remedy_unit_of(rules)
    if unit not in REMEDY_UNITS:
        raise Invalid(_("The unit of remedy is the part or the assembly that holds it."), field="remedy_unit")
    clean = {
        "model_ids": sorted({int(m) for m in rules.get("model_ids") or []}),
        "lots": sorted({str(lot).strip() for lot in rules.get("lots") or [] if str(lot).strip()}),
        "serial_ranges": [{"from": str(r.get("from", "")).strip(), "to": str(r.get("to", "")).strip()}
                          for r in rules.get("serial_ranges") or [] if r.get("from") or r.get("to")],
        "made_from": rules.get("made_from") or None,
        "made_to": rules.get("made_to") or None,
        "remedy_unit": unit,
    }
    for key in ("made_from", "made_to"):
        if clean[key]:
            try:
                clean[key] = date.fromisoformat(str(clean[key])).isoformat()
            except ValueError:
                said = _("Made from must be a date like 2025-03-31.") if key == "made_from" else _(
                    "Made until must be a date like 2025-03-31.")
                raise Invalid(said, field=key) from None
    if not (clean["model_ids"] or clean["lots"] or clean["serial_ranges"] or clean["made_from"] or clean["made_to"]):
        raise Invalid(_("Name at least one criterion: a model, a lot, a serial range or a manufacture window."))
    return clean


def _folds(campaign: RecallCampaign) -> bool:
    return bool(db.session.scalar(select(Manufacturer.identifiers_case_insensitive)
                                  .where(Manufacturer.id == campaign.manufacturer_id)))


def direct_matches(campaign: RecallCampaign) -> Select:
    """SELECT of the ids (and parents) of the units matching every criterion."""
    rules, fold = campaign.rules, _folds(campaign)
    stmt = select(Unit.id, Unit.parent_id).where(Unit.manufacturer_id == campaign.manufacturer_id)
    if rules.get("model_ids"):
        stmt = stmt.where(Unit.model_id.in_(rules["model_ids"]))
    if rules.get("lots"):
        lot_ids = select(Lot.id).join(ProductModel, ProductModel.id == Lot.model_id).where(
            ProductModel.manufacturer_id == campaign.manufacturer_id)
        if fold:
            lot_ids = lot_ids.where(func.upper(Lot.code).in_([lot.upper() for lot in rules["lots"]]))
        else:
            lot_ids = lot_ids.where(Lot.code.in_(rules["lots"]))
        stmt = stmt.where(Unit.lot_id.in_(lot_ids))
    serial = func.upper(Unit.serial) if fold else Unit.serial

    def bound(value: str) -> str:
        return value.upper() if fold else value

    ranges = [and_(serial >= bound(r["from"]) if r["from"] else true(), serial <= bound(r["to"]) if r["to"] else true())
              for r in rules.get("serial_ranges") or []]
    if ranges:
        stmt = stmt.where(or_(*ranges))
    if rules.get("made_from"):
        stmt = stmt.where(Unit.manufactured_on >= date.fromisoformat(rules["made_from"]))
    if rules.get("made_to"):
        stmt = stmt.where(Unit.manufactured_on <= date.fromisoformat(rules["made_to"]))
    return stmt


def _climbed(direct: Select):
    """(start, root): for each matched unit that has a parent, the outermost assembly holding it."""
    subject = direct.subquery()
    chain = select(subject.c.id.label("start"), subject.c.parent_id.label("up")).where(
        subject.c.parent_id.is_not(None)).cte("chain", recursive=True)
    parent = aliased(Unit)
    chain = chain.union_all(select(chain.c.start, parent.parent_id).join(parent, parent.id == chain.c.up)
                            .where(parent.parent_id.is_not(None)))
    # The root is the last `up` of each chain: the one that has no parent itself.
    top = aliased(Unit)
    return select(chain.c.start, chain.c.up.label("root")).join(top, top.id == chain.c.up).where(
        top.parent_id.is_(None))


def affected_units(campaign: RecallCampaign) -> Select | CompoundSelect:
    """SELECT of every affected unit: columns `id` (the unit of remedy, no duplicates) and `holder_id`
    (the assembly holding a part counted as unit of remedy, else NULL).

    Matches without a parent go straight through (no de-duplication pass over what may be millions of rows);
    only the others are climbed, recursively, to their outermost assembly.
    """
    direct = direct_matches(campaign)
    loose = direct.where(Unit.parent_id.is_(None)).with_only_columns(Unit.id.label("id"),
                                                                     cast(null(), Integer).label("holder_id"))
    climbed = _climbed(direct).subquery()
    if campaign.remedy_unit == "part":
        held = select(climbed.c.start.label("id"), climbed.c.root.label("holder_id"))
        return union_all(loose, held)
    loose_ids = direct.where(Unit.parent_id.is_(None)).with_only_columns(Unit.id)
    roots = (select(climbed.c.root.label("id"), cast(null(), Integer).label("holder_id")).distinct()
             .where(climbed.c.root.not_in(loose_ids)))
    return union_all(loose, roots)


@dataclass(frozen=True)
class Population:
    """Both counts of a component campaign, and which one is counted."""
    parts: int  # units matching the criteria
    assemblies: int  # outermost units holding them (a matched unit without a parent counts as itself)
    counted: str  # "part" or "assembly"

    @property
    def count(self) -> int:
        return self.parts if self.counted == "part" else self.assemblies


def population(campaign: RecallCampaign) -> Population:
    direct = direct_matches(campaign)
    parts = db.session.scalar(select(func.count()).select_from(direct.subquery()))
    climbed = _climbed(direct).subquery()
    loose = direct.where(Unit.parent_id.is_(None)).with_only_columns(Unit.id.label("id"))
    roots = union_all(loose, select(climbed.c.root.label("id"))).subquery()
    assemblies = db.session.scalar(select(func.count(roots.c.id.distinct())))
    return Population(parts=parts, assemblies=assemblies, counted=campaign.remedy_unit)


def loose_key(column):
    """SQL: an identifier without case or separators, to recognise "cell b2" as "CELL-B2"."""
    expr = func.upper(column)
    for sep in (" ", "-", "_", ".", "/"):
        expr = func.replace(expr, sep, "")
    return expr


def loose_text(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


def hints(campaign: RecallCampaign) -> list[tuple[str, str]]:
    """(what was typed, what it probably meant) for each lot or serial bound that matches nothing as typed
    but matches an identifier of this manufacturer with another case or separators."""
    rules, fold, found = campaign.rules, _folds(campaign), []
    tenant_lots = select(Lot.code).join(ProductModel, ProductModel.id == Lot.model_id).where(
        ProductModel.manufacturer_id == campaign.manufacturer_id)
    for lot in rules.get("lots") or []:
        exact = tenant_lots.where(func.upper(Lot.code) == lot.upper() if fold else Lot.code == lot)
        if db.session.scalar(select(exact.exists())):
            continue
        near = db.session.scalar(tenant_lots.where(loose_key(Lot.code) == loose_text(lot)).limit(1))
        if near:
            found.append((lot, near))
    tenant_units = select(Unit.serial).where(Unit.manufacturer_id == campaign.manufacturer_id)
    for r in rules.get("serial_ranges") or []:
        for typed in filter(None, (r["from"], r["to"])):
            exact = tenant_units.where(func.upper(Unit.serial) == typed.upper() if fold else Unit.serial == typed)
            if db.session.scalar(select(exact.exists())):
                continue
            near = db.session.scalar(tenant_units.where(loose_key(Unit.serial) == loose_text(typed)).limit(1))
            if near:
                found.append((typed, near))
    return found

