"""NFC tags on units that already exist: attach one, replace it, retire it (docs/nfc.md).

Keys are handled as for an imported tag: the tag's own two SDM keys when given (stored encrypted), else
keys derived from the manufacturer's NFC master key and the tag's UID, which must then exist. A new tag
starts with no accepted tap (last counter -1), so its first genuine tap verifies; a retired tag's keys
are forgotten and its taps no longer verify. Attaching the unit's current tag again with new keys keeps
its counter, so no URL it gave before can be replayed. A retired tag is not remembered: attached again
later, it starts afresh like a new one, so retire tags that are destroyed or out of the owner's hands.
"""
from __future__ import annotations

from sqlalchemy import select

from portal.authenticity.models import NfcTag
from portal.catalog.models import Unit
from portal.catalog.nfc import assign_tag_uid
from portal.core import audit
from portal.core.errors import Conflict, Invalid
from portal.core.secrets import encrypt_secret
from portal.extensions import db


def _keys(unit: Unit, meta_key: bytes | None, file_key: bytes | None) -> tuple[bytes, bytes] | None:
    if (meta_key is None) != (file_key is None):
        raise Invalid("Give both of the tag's keys (meta read and file read), or neither to derive them from "
                      "your NFC master key.", field="meta_key" if meta_key is None else "file_key")
    if meta_key is None:
        if not unit.model.manufacturer.nfc_master_key_enc:
            raise Invalid("Give the tag's two keys, or create your NFC master key first "
                          "(flask --app portal nfc master-key SLUG) so they can be derived.", field="meta_key")
        return None
    if len(meta_key) != 16 or len(file_key) != 16:
        raise Invalid("NTAG 424 DNA keys are AES-128: 16 bytes (32 hex digits) each.", field="meta_key")
    return meta_key, file_key


def _tag(unit: Unit) -> NfcTag | None:
    return db.session.scalar(select(NfcTag).where(NfcTag.unit_id == unit.id))


def _fit(unit: Unit, uid: str, meta_key: bytes | None, file_key: bytes | None, *, actor, action: str) -> NfcTag:
    keys = _keys(unit, meta_key, file_key)
    previous = unit.nfc_uid
    uid = assign_tag_uid(unit, uid)
    tag = _tag(unit) or NfcTag(unit_id=unit.id, last_counter=-1)
    tag.meta_key_enc, tag.file_key_enc = (encrypt_secret(keys[0]), encrypt_secret(keys[1])) if keys else (None, None)
    if uid != previous:  # another physical tag: its counter starts afresh
        tag.last_counter, tag.last_tap_at = -1, None
    db.session.add(tag)
    db.session.flush()
    audit.log(actor, f"nfc.tag_{action}", unit, manufacturer_id=unit.manufacturer_id, unit_id=unit.id, uid=uid,
              previous_uid=previous, keys="own" if keys else "derived")
    return tag


def attach_tag(unit: Unit, uid: str, *, meta_key: bytes | None = None, file_key: bytes | None = None,
               actor) -> NfcTag:
    """Fit a tag to a unit that has none."""
    if unit.nfc_uid:
        raise Conflict(f"This unit already carries tag {unit.nfc_uid}; replace it instead.", field="uid")
    return _fit(unit, uid, meta_key, file_key, actor=actor, action="attached")


def replace_tag(unit: Unit, uid: str, *, meta_key: bytes | None = None, file_key: bytes | None = None,
                actor) -> NfcTag:
    """Swap the unit's tag for another (a damaged tag, a new one): the old tag's taps stop verifying."""
    if not unit.nfc_uid:
        raise Conflict("This unit carries no tag to replace; attach one.", field="uid")
    return _fit(unit, uid, meta_key, file_key, actor=actor, action="replaced")


def retire_tag(unit: Unit, *, actor) -> None:
    """Take the unit's tag out of use: its UID is freed and its keys forgotten; the unit stays."""
    if not unit.nfc_uid:
        raise Conflict("This unit carries no tag.", field="uid")
    previous = unit.nfc_uid
    assign_tag_uid(unit, None)
    tag = _tag(unit)
    if tag is not None:
        tag.meta_key_enc = tag.file_key_enc = None
    db.session.flush()
    audit.log(actor, "nfc.tag_retired", unit, manufacturer_id=unit.manufacturer_id, unit_id=unit.id,
              previous_uid=previous)
