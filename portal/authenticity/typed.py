"""The typed lookup ("Check a product"): a GTIN and a serial someone typed, answered for what typing can show.

Typing two numbers proves nothing about the item in hand, so a typed lookup never says *Genuine* or *Not
genuine* (docs/authenticity.md, the verdict matrix): a match says the serial exists and what Provenance
knows about it; no match says so neutrally and, when one of that model's serials is a single edit or a case
change away, offers it. Suggestions are serials only (never owners), found by one indexed statement over a
bounded set of candidates, and rationed per client in the rate limiter's shared storage.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field

from flask import current_app
from limits import parse
from sqlalchemy import bindparam, select

from portal.authenticity.facts import ModelFacts
from portal.authenticity.verify import Verdict, verify_code
from portal.catalog.models import Manufacturer, ProductModel, Unit
from portal.core.gs1 import GS1Error, canonical_gtin, canonical_serial, validate_serial
from portal.core.secrets import digest
from portal.extensions import db, limiter

#: How many suggestions a no-match answer offers at most.
MAX_SUGGESTIONS = 3
#: Characters tried for a substituted or inserted character: what serials are printed with, plus whatever the
#: typed serial itself uses (so a maker's lower-case or punctuated serials are reached too).
_TRIED = string.ascii_uppercase + string.digits + "-"


@dataclass
class TypedAnswer:
    """`found`: "match", "no_serial" or "unknown_gtin"; `verdict` is the unsigned verdict of a match."""
    found: str
    gtin: str
    serial: str
    model: ModelFacts | None = None
    product: str = ""
    manufacturer: str = ""
    verdict: Verdict | None = None
    suggestions: list[str] = field(default_factory=list)

    @property
    def status(self) -> int:
        return 200 if self.found == "match" else 404


def edit_candidates(serial: str) -> set[str]:
    """Every valid serial one edit (insert, delete, substitute, swap two neighbours) or a case change away from
    `serial` or its upper-case form: about 40 x 2 x length strings, bounded by the serial's 20 characters."""
    bases = {serial, serial.upper()}
    out = set(bases) | {serial.lower()}
    for base in bases:
        tried = sorted(set(_TRIED) | set(base))
        for i in range(len(base) + 1):
            head, tail = base[:i], base[i:]
            out.update(head + c + tail for c in tried)  # insert
            if tail:
                out.add(head + tail[1:])  # delete
                out.update(head + c + tail[1:] for c in tried)  # substitute
            if len(tail) > 1:
                out.add(head + tail[1] + tail[0] + tail[2:])  # transpose
    out.discard(serial)
    return {c for c in out if _is_serial(c)}


def _is_serial(text: str) -> bool:
    try:
        validate_serial(text)
    except GS1Error:
        return False
    return True


def _similar_serials(model_id: int, serial: str) -> list[str]:
    """That model's serials among the candidates: one statement on the (model_id, serial) unique index."""
    candidates = sorted(edit_candidates(serial))
    if not candidates:
        return []
    stmt = (select(Unit.serial).where(Unit.model_id == model_id,
                                      Unit.serial.in_(bindparam("candidates", expanding=True)))
            .order_by(Unit.serial).limit(MAX_SUGGESTIONS + 5))
    found = list(db.session.scalars(stmt, {"candidates": candidates}))
    # A case change first (the likeliest slip), then the rest in serial order.
    found.sort(key=lambda s: (s.upper() != serial.upper(), s))
    return found[:MAX_SUGGESTIONS]


def may_suggest(client: str) -> bool:
    """Spend one of this client's suggestions (RATELIMIT_SUGGESTIONS, counted in the limiter's storage that
    the web processes share); False once they are used up, and the answer then offers none."""
    rule = parse(current_app.config["RATELIMIT_SUGGESTIONS"])
    return limiter.limiter.hit(rule, "typed-lookup-suggestions", digest(client or "unknown"))


def typed_lookup(gtin: str, serial: str, *, client: str) -> TypedAnswer:
    """Answer a typed GTIN and serial. Raises GS1Error (naming the field) for input that is no GTIN or serial."""
    gtin14 = canonical_gtin(gtin)
    canonical_serial(serial)  # the field's own error first, whatever the GTIN names
    row = db.session.execute(
        select(ProductModel.id, ProductModel.name, Manufacturer.name, Manufacturer.identifiers_case_insensitive)
        .join(Manufacturer, Manufacturer.id == ProductModel.manufacturer_id)
        .where(ProductModel.gtin == gtin14)).first()
    if row is None:
        return TypedAnswer("unknown_gtin", gtin14, serial.strip())
    model_id, product, maker, folds = row
    serial = canonical_serial(serial, case_insensitive=bool(folds))
    verdict = verify_code(gtin14, serial, {})
    if verdict.unit is not None:
        return TypedAnswer("match", gtin14, verdict.unit.serial, verdict.model, product, maker, verdict)
    answer = TypedAnswer("no_serial", gtin14, serial, verdict.model, product, maker)
    if may_suggest(client):
        answer.suggestions = _similar_serials(model_id, serial)
    return answer

