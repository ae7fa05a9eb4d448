"""Signed labels: what a printed code says, and issuing or withdrawing one for a unit.

The signature covers `01<gtin14>21<serial>|<label number>|<kid>` (ASCII). '|' is outside GS1's CSET 82
and the key-id alphabet, so the fields cannot be shifted into each other. docs/authenticity.md has the
exact rules a third-party verifier follows.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select, update

from portal.authenticity.keys import active_key, b64url, sign
from portal.authenticity.models import Label, LabelState
from portal.catalog.models import Unit
from portal.core import audit
from portal.core.db import utcnow
from portal.core.dl_compression import compress
from portal.core.errors import NotAllowed
from portal.core.gs1 import DigitalLink, format_digital_link
from portal.extensions import db


def label_message(gtin14: str, serial: str, number: int, kid: str) -> bytes:
    return f"01{gtin14}21{serial}|{number}|{kid}".encode("ascii")


def label_uri(gtin14: str, serial: str, label: Label, *, compressed: bool = False) -> str:
    """`https://<portal>/01/<gtin>/21/<serial>?n=<label>&k=<kid>&s=<signature>`: a GS1 Digital Link URI.

    `compressed`: the same link in GS1 Digital Link compression (`https://<portal>/<segment>?n=&k=&s=`), which
    the resolver reads alike; its QR code is smaller (docs/resolver.md, "Compressed codes")."""
    link = DigitalLink(gtin14, serial=serial, query={"n": str(label.number), "k": label.kid, "s": label.signature})
    base = current_app.config["BASE_URL"].rstrip("/")
    return compress(link, base) if compressed else format_digital_link(link, base=base)


def issue_label(unit: Unit, *, actor, reason: str = "") -> Label:
    """Sign a new label for the unit. Its earlier active labels are withdrawn (compromised ones stay so)."""
    tenant = unit.model.manufacturer
    key = active_key(tenant)
    if key is None:
        raise NotAllowed("Create a signing key first (Console → Keys).")
    number = (db.session.scalar(select(func.max(Label.number)).where(Label.unit_id == unit.id)) or 0) + 1
    db.session.execute(update(Label).where(Label.unit_id == unit.id, Label.state == LabelState.ACTIVE)
                       .values(state=LabelState.WITHDRAWN, state_reason=reason or "replaced by a new label",
                               state_changed_at=utcnow()))
    signature = b64url(sign(key, label_message(unit.model.gtin, unit.serial, number, key.kid)))
    label = Label(manufacturer_id=tenant.id, unit=unit, number=number, kid=key.kid, signature=signature)
    db.session.add(label)
    db.session.flush()
    audit.log(actor, "label.issued", label, manufacturer_id=tenant.id, unit_id=unit.id, number=number, kid=key.kid)
    return label


def current_label(unit: Unit) -> Label | None:
    return db.session.scalar(select(Label).where(Label.unit_id == unit.id, Label.state == LabelState.ACTIVE)
                             .order_by(Label.number.desc()).limit(1))


def label_for_printing(unit: Unit, *, actor) -> Label:
    """The unit's active label, or a first one when it has none: printing twice yields the same code."""
    return current_label(unit) or issue_label(unit, actor=actor)
