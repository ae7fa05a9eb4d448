"""The one serializer: what of a passport a reader of a tier may see, in the data model's shape.

Every output goes through `visible_fields`, `document` or `rows`: the page, the JSON per aspect, the PDF, the
verifiable credential, the API and the exports (docs/architecture.md; docs/passport.md, "Who sees what").
A field of a higher tier than the reader's is left out, never masked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.passport.fields import ASPECTS, Field, Kind, Scope, Tier, fields_of, unit_symbol
from portal.passport.labels import label_of, shown_unit
from portal.passport.queries import Passport

ASPECT_TITLES = {
    "generalProductInformation": _l("General product information"), "carbonFootprint": _l("Carbon footprint"),
    "circularity": _l("Circularity"), "labels": _l("Labels and conformity"),
    "materialComposition": _l("Material composition"), "performanceAndDurability": _l("Performance and durability"),
    "supplyChainDueDiligence": _l("Supply-chain due diligence"), "identification": _l("Identification"),
    "operator": _l("Manufacturer, operator and facility"), "materials": _l("Materials"),
    "careAndRepair": _l("Care and repair"), "documents": _l("Documents"), "registry": _l("EU registry"),
}
DATA_MODEL = "Battery Pass Data Model v1.2.0 (DIN DKE SPEC 99100)"


def visible_fields(kind: Kind, tier: Tier) -> list[Field]:
    """The fields a reader of `tier` may see: those of that tier and below. The only place tiers are compared."""
    return [f for f in fields_of(kind) if f.tier <= tier]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _put(target: dict, path: str, value) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def aspect(passport: Passport, tier: Tier, name: str) -> dict:
    """One aspect in the data model's nesting, holding only what `tier` may see. A per-unit measurement gets the
    time it was last set as its `lastUpdate`, as the data model keeps it."""
    out: dict = {}
    for f in visible_fields(passport.kind, tier):
        if f.aspect != name or f.key not in passport.data:
            continue
        _put(out, f.path, passport.data[f.key])
        parts = f.path.split(".")
        if f.scope is Scope.DYNAMIC and len(parts) >= 3 and f.key in passport.updated:
            holder = out
            for part in parts[:-1]:
                holder = holder[part]
            moment = _iso(passport.updated[f.key])
            holder["lastUpdate"] = max(holder.get("lastUpdate", moment), moment)
    return out


def document(passport: Passport, tier: Tier, base_url: str) -> dict:
    """The whole passport for `tier`: its facts (identifier, version, lifecycle links) and every aspect."""
    head = {
        "identifier": passport.identifier,
        "productIdentifier": passport.product_identifier,
        "kind": passport.kind.value,
        "version": passport.version,
        "latestVersion": passport.latest,
        "tier": tier.word,
        "url": f"{base_url}/passport{passport.path}",
        "dataModel": DATA_MODEL if passport.kind is Kind.BATTERY else "ESPR base (Regulation (EU) 2024/1781)",
    }
    if passport.predecessor:
        head["predecessor"] = {"identifier": passport.predecessor.identifier, "reason": passport.predecessor.reason,
                               "url": f"{base_url}/passport/01/{passport.predecessor.gtin}/21/"
                                      f"{passport.predecessor.serial}"}
    if passport.successor:
        head["successor"] = {"identifier": passport.successor.identifier, "reason": passport.successor.reason,
                             "url": f"{base_url}/passport/01/{passport.successor.gtin}/21/{passport.successor.serial}"}
    body = {name: aspect(passport, tier, name) for name in ASPECTS[passport.kind]}
    return {"passport": head, **{k: v for k, v in body.items() if v}}


def tombstone(passport: Passport) -> dict:
    """What a ceased passport still says, to everyone: that it ceased, when and why, and nothing of its data."""
    return {"identifier": passport.identifier, "productIdentifier": passport.product_identifier, "ceased": True,
            "ceasedAt": _iso(passport.ceased_at), "notice": passport.ceased_note}


@dataclass(frozen=True)
class Row:
    aspect: str
    key: str
    label: str
    text: str
    unit: str
    tier: Tier
    dynamic: bool


def _text(value) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):  # the reader's decimal sign (0,5 in French), the digits as stored
        text = f"{value:g}"
        return text if "e" in text or "n" in text else format_decimal(Decimal(text), format="0.##########")
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)


def rows(passport: Passport, tier: Tier) -> list[Row]:
    """Rows for the page and the PDF: public fields first, then each higher tier the reader may see."""
    out = [Row(f.aspect, f.key, label_of(f), _text(passport.data[f.key]), shown_unit(unit_symbol(f.unit)), f.tier,
               f.scope is Scope.DYNAMIC)
           for f in visible_fields(passport.kind, tier) if f.key in passport.data]
    order = {name: n for n, name in enumerate(ASPECTS[passport.kind])}
    return sorted(out, key=lambda r: (r.tier, order[r.aspect]))
