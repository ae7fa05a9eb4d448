"""The NFC tag UID a unit carries: the catalog's side of attaching, replacing and retiring a tag
(the tag's keys and tap counter belong to authenticity: portal.authenticity.tags)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.catalog.models import ProductModel, Unit
from portal.catalog.services import parse_nfc_uid
from portal.core.errors import Conflict, Invalid
from portal.extensions import db


def assign_tag_uid(unit: Unit, uid: str | None) -> str | None:
    """Record `uid` (14 hex digits, any case; None: no tag) as the unit's tag. A UID another unit carries
    is refused: one physical tag identifies one unit. Flushes."""
    if uid is not None:
        uid = parse_nfc_uid(uid.strip() or None)
        if uid is None:
            raise Invalid(_("Give the tag's UID: 7 bytes written as 14 hexadecimal digits."), field="uid")
        holder = db.session.execute(
            select(ProductModel.gtin, Unit.serial).join(ProductModel, ProductModel.id == Unit.model_id)
            .where(Unit.nfc_uid == uid, Unit.id != unit.id)).first()
        if holder is not None:
            raise Conflict(_("Tag %(uid)s is already attached to unit %(gtin)s / %(serial)s; retire it there "
                             "first.", uid=uid, gtin=holder.gtin, serial=holder.serial), field="uid")
    unit.nfc_uid = uid
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_("Tag %(uid)s was attached to another unit at the same moment.", uid=uid),
                       field="uid") from None
    return uid
