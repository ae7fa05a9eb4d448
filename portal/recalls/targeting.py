"""Which units a campaign affects, as one SELECT the database runs (never a Python loop per unit).

A unit is affected when it matches every criterion the campaign names (models, lots, serial ranges,
manufacture window). With `include_assemblies`, every unit that contains an affected unit, however deep
(a cell inside a pack inside a bike), is affected too: a recursive query climbs the parent relation.
Serial ranges are inclusive and compare serials as the database sorts text, which is the model's own
order for serials of one fixed width (the usual case: E8-25-00001 ... E8-25-00800).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_, select, true, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.sql import CompoundSelect, Select

from portal.catalog.models import Lot, Unit
from portal.core.errors import Invalid
from portal.recalls.models import RecallCampaign


def check_rules(rules: dict) -> dict:
    """Normalize criteria from a form or the API; refuse a campaign that would match everything."""
    clean = {
        "model_ids": sorted({int(m) for m in rules.get("model_ids") or []}),
        "lots": sorted({str(lot).strip() for lot in rules.get("lots") or [] if str(lot).strip()}),
        "serial_ranges": [{"from": str(r.get("from", "")).strip(), "to": str(r.get("to", "")).strip()}
                          for r in rules.get("serial_ranges") or [] if r.get("from") or r.get("to")],
        "made_from": rules.get("made_from") or None,
        "made_to": rules.get("made_to") or None,
        "include_assemblies": bool(rules.get("include_assemblies", True)),
    }
    for key in ("made_from", "made_to"):
        if clean[key]:
            try:
                clean[key] = date.fromisoformat(str(clean[key])).isoformat()
            except ValueError:
                raise Invalid(f"{key.replace('_', ' ')} must be a date like 2025-03-31.", field=key) from None
    if not (clean["model_ids"] or clean["lots"] or clean["serial_ranges"] or clean["made_from"] or clean["made_to"]):
        raise Invalid("Name at least one criterion: a model, a lot, a serial range or a manufacture window.")
    return clean


def direct_matches(campaign: RecallCampaign) -> Select:
    rules = campaign.rules
    stmt = select(Unit.id).where(Unit.manufacturer_id == campaign.manufacturer_id)
    if rules.get("model_ids"):
        stmt = stmt.where(Unit.model_id.in_(rules["model_ids"]))
    if rules.get("lots"):
        stmt = stmt.where(Unit.lot_id.in_(select(Lot.id).where(Lot.code.in_(rules["lots"]))))
    ranges = [and_(Unit.serial >= r["from"] if r["from"] else true(), Unit.serial <= r["to"] if r["to"] else true())
              for r in rules.get("serial_ranges") or []]
    if ranges:
        stmt = stmt.where(or_(*ranges))
    if rules.get("made_from"):
        stmt = stmt.where(Unit.manufactured_on >= date.fromisoformat(rules["made_from"]))
    if rules.get("made_to"):
        stmt = stmt.where(Unit.manufactured_on <= date.fromisoformat(rules["made_to"]))
    return stmt


def affected_units(campaign: RecallCampaign) -> Select | CompoundSelect:
    """SELECT of the ids of every affected unit (one column, `id`, no duplicates).

    The direct matches go straight through (no de-duplication pass over what may be millions of rows);
    only their ancestors are climbed recursively, starting from the matches that have a parent, and an
    ancestor that is itself a direct match is left out so no id comes twice.
    """
    direct = direct_matches(campaign)
    if not campaign.rules.get("include_assemblies", True):
        return direct
    parents = direct.with_only_columns(Unit.parent_id.label("id")).where(Unit.parent_id.is_not(None))
    ancestors = parents.cte("ancestors", recursive=True)
    parent = aliased(Unit)
    ancestors = ancestors.union(
        select(parent.parent_id).join(ancestors, parent.id == ancestors.c.id).where(parent.parent_id.is_not(None)))
    return union_all(direct, select(ancestors.c.id).where(ancestors.c.id.not_in(direct)))
