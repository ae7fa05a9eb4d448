"""NFC taps: verify a Secure Unique NFC message against the unit's tag keys and refuse replays.

A tag's keys are either set per tag (imported) or derived from the manufacturer's NFC master key and
the tag's UID (docs/nfc.md gives the derivation). The last accepted counter is raised with a
conditional UPDATE, so two taps racing with the same counter cannot both be accepted.
"""
from __future__ import annotations

import secrets

from sqlalchemy import select, update

from portal.authenticity.clones import RecordedScan, record_scan
from portal.authenticity.models import NfcTag
from portal.authenticity.nfc import SunError, diversify_key, parse_sun_params, verify_sun
from portal.authenticity.verify import MalformedCode, Verdict, VerdictKind, locate, not_genuine, with_status
from portal.catalog.models import Manufacturer, Unit
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Invalid
from portal.core.secrets import decrypt_secret, encrypt_secret
from portal.core.signals import verdict_given
from portal.extensions import db

META, FILE = b"sdm-meta-read", b"sdm-file-read"


def create_master_key(tenant: Manufacturer, *, actor) -> bytes:
    """A new NFC master key for the tenant's tag programming station; returned once, stored encrypted."""
    key = secrets.token_bytes(16)
    tenant.nfc_master_key_enc = encrypt_secret(key)
    audit.log(actor, "nfc.master_key_created", tenant, manufacturer_id=tenant.id)
    return key


def set_tag_keys(unit: Unit, meta_key: bytes, file_key: bytes, *, actor) -> NfcTag:
    if len(meta_key) != 16 or len(file_key) != 16:
        raise Invalid("NTAG 424 DNA keys are AES-128: 16 bytes (32 hex digits) each.")
    if not unit.nfc_uid:
        raise Invalid("Record the tag's UID on the unit first (units CSV column nfc_uid).")
    tag = _tag(unit) or NfcTag(unit_id=unit.id)
    tag.meta_key_enc, tag.file_key_enc = encrypt_secret(meta_key), encrypt_secret(file_key)
    db.session.add(tag)
    db.session.flush()
    audit.log(actor, "nfc.tag_keys_set", unit, unit_id=unit.id)
    return tag


def _tag(unit: Unit) -> NfcTag | None:
    return db.session.scalar(select(NfcTag).where(NfcTag.unit_id == unit.id))


def tag_keys(unit: Unit) -> tuple[bytes, bytes] | None:
    tag = _tag(unit)
    if tag is not None and tag.meta_key_enc and tag.file_key_enc:
        return decrypt_secret(tag.meta_key_enc), decrypt_secret(tag.file_key_enc)
    master = unit.model.manufacturer.nfc_master_key_enc
    if master and unit.nfc_uid:
        raw, uid = decrypt_secret(master), bytes.fromhex(unit.nfc_uid)
        return diversify_key(raw, uid, META), diversify_key(raw, uid, FILE)
    return None


def verify_tap(gtin: str, serial: str, query: str) -> tuple[Verdict, int | None]:
    """The verdict on one tap, and the tag counter it carried (None when it could not be read)."""
    found = locate(gtin, serial)
    if isinstance(found, Verdict):
        return found, None
    model, facts = found.model, found.unit
    base = {"unit": facts, "model": model}
    unit = db.session.get(Unit, facts.id)  # the tag's keys and UID live on the full record
    keys = tag_keys(unit)
    if keys is None:
        return Verdict(VerdictKind.CANNOT_VERIFY, "unknown_tag", "This product's NFC tag is not registered with "
                       "Provenance, so the tap cannot be checked.", **base), None
    try:
        result = verify_sun(parse_sun_params(query), keys[0], keys[1])
    except SunError as err:
        raise MalformedCode(f"The tag's message is damaged: {err}") from None
    if not result.valid:
        return not_genuine("bad_tap", f"The tag's cryptographic answer is wrong ({result.reason}): this is not "
                           f"{model.manufacturer.name}'s tag.", **base), result.counter
    if result.uid != unit.nfc_uid:
        return not_genuine("foreign_tag", "This tag belongs to another product.", **base), result.counter
    tag = _tag(unit) or NfcTag(unit_id=unit.id)
    if tag.id is None:
        db.session.add(tag)
        db.session.flush()
    accepted = db.session.execute(
        update(NfcTag).where(NfcTag.id == tag.id, NfcTag.last_counter < result.counter)
        .values(last_counter=result.counter, last_tap_at=utcnow())
    ).rowcount
    if not accepted:
        return not_genuine("replayed_tap", "This tap was replayed: the tag already answered with this counter, "
                           "so the message was copied.", **base), result.counter
    return with_status(Verdict(VerdictKind.GENUINE, "ok", f"The tag's one-time cryptographic answer proves it is "
                               f"{model.manufacturer.name}'s genuine tag for this {model.name}.", **base),
                       found), result.counter


def record_tap_scan(verdict: Verdict, counter: int | None, client: str) -> RecordedScan:
    verdict_given.send(verdict, kind=verdict.kind.value, channel="nfc")
    return record_scan(verdict.unit, verdict.kind.value, verdict.reason, client=client, channel="nfc",
                       nfc_counter=counter)
