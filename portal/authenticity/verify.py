"""The verdict on a scanned code: four plain answers, each with the one sentence that explains it."""
from __future__ import annotations

import binascii
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cryptography.exceptions import InvalidSignature

from portal.authenticity.facts import Found, ModelFacts, UnitFacts, coverage_facts, lookup
from portal.authenticity.keys import b64url_decode, public_key_object
from portal.authenticity.labels import label_message
from portal.authenticity.models import KeyState, LabelState
from portal.catalog.models import Disposition, Unit
from portal.core.db import utcnow
from portal.core.gs1 import GS1Error, normalize_gtin, validate_serial
from portal.core.i18n import gettext as _
from portal.core.i18n import lazy_gettext as _l
from portal.core.i18n import long_date
from portal.extensions import db
from portal.warranty.coverage import coverage


class VerdictKind(StrEnum):
    GENUINE = "genuine"
    WARNING = "warning"
    CANNOT_VERIFY = "cannot_verify"
    NOT_GENUINE = "not_genuine"

    @property
    def title(self) -> str:
        return str({"genuine": _l("Genuine"), "warning": _l("Genuine, with a warning"),
                    "cannot_verify": _l("Cannot verify"), "not_genuine": _l("Not genuine")}[self.value])


WARNINGS = {
    "stolen": _l("Reported stolen by its owner. Do not buy it; if it is offered to you, tell the police."),
    "recalled": _l("It is affected by a safety recall. Stop using it and follow the manufacturer's instructions."),
    "clone_suspected": _l("Its code has been scanned in ways that suggest copies exist. Check the seller carefully."),
    "destroyed": _l("The manufacturer recorded this unit as taken out of service."),
    "lot_mismatch": _l("The lot on this code is not the lot the manufacturer recorded for this unit."),
}


class MalformedCode(ValueError):
    """The code is not a well-formed GS1 Digital Link; the message says which part and why."""


@dataclass
class Verdict:
    kind: VerdictKind
    reason: str
    message: str
    status: int = 200
    unit: UnitFacts | None = None
    model: ModelFacts | None = None
    warnings: list[str] = field(default_factory=list)
    label_number: int | None = None
    kid: str | None = None
    signed_message: str | None = None
    signature: str | None = None
    registered_since: datetime | None = None
    coverage: str = ""
    #: A warning's words for this verdict when they name its facts (the lot mismatch names both lots).
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def shows_unit_facts(self) -> bool:
        """Whether what is known supports the unit's facts (made, warranty, owner, label): a proof that held,
        or an unsigned code's honest "here is what Provenance knows". A failed or impossible proof shows none
        (docs/authenticity.md, the verdict matrix)."""
        return self.kind in (VerdictKind.GENUINE, VerdictKind.WARNING) or self.reason == "unsigned"

    def warning_text(self, code: str) -> str:
        return self.notes.get(code) or str(WARNINGS[code])

    def as_json(self) -> dict:
        unit, model = self.unit, self.model
        return {
            "verdict": self.kind.value,
            "title": self.kind.title,
            "reason": self.reason,
            "message": str(self.message),
            "warnings": [{"code": w, "message": self.warning_text(w)} for w in self.warnings],
            "product": None if model is None else {
                "gtin": model.gtin, "name": model.name, "manufacturer": model.manufacturer.name,
                "serial": unit.serial if unit else None,
                "manufactured": unit.manufactured_on.strftime("%Y-%m")
                if unit and unit.manufactured_on and self.shows_unit_facts else None,
            },
            "registered_since": self.registered_since.strftime("%Y-%m") if self.registered_since else None,
            "coverage": self.coverage or None,
            "signature": None if self.signed_message is None else {
                "kid": self.kid, "label": self.label_number, "message": self.signed_message, "value": self.signature},
        }


def not_genuine(reason: str, message: str, **kw) -> Verdict:
    return Verdict(VerdictKind.NOT_GENUINE, reason, message, status=kw.pop("status", 422), **kw)


def locate(gtin: str, serial: str, kid: str | None = None, number: int | None = None, *,
           signed: bool = False) -> Found | Verdict:
    """The facts behind a code, or the verdict for a code naming nothing real. `kid` and `number` name the
    signing key and label to read along (one round trip on the hot path). `signed`: the code carries a
    signature; only then is a serial the maker never recorded a forgery (docs/authenticity.md, the matrix)."""
    try:
        gtin14, serial = normalize_gtin(gtin), validate_serial(serial)
    except GS1Error as err:
        raise MalformedCode(str(err)) from None
    found = lookup(gtin14, serial, kid, number)
    if found is None:
        return Verdict(VerdictKind.CANNOT_VERIFY, "unknown_product",
                       _("No manufacturer on Provenance makes a product with GTIN %(gtin)s.", gtin=gtin14), status=404)
    if found.unit is None:
        model = found.model
        if signed:  # the maker signs only units it recorded: a signed code for any other serial is made up
            return not_genuine("unknown_serial", _("%(manufacturer)s never issued a code for a %(product)s with "
                                                   "serial %(serial)s: this signed code was made up.",
                                                   manufacturer=model.manufacturer.name, product=model.name,
                                                   serial=serial), status=404, model=model)
        # Unsigned (a typed address, an old label, a misread): absence of a record accuses nobody.
        return Verdict(VerdictKind.CANNOT_VERIFY, "unknown_serial",
                       _("We found no %(product)s with serial %(serial)s. Check the code, or type the numbers "
                         "from the label again.", product=model.name, serial=serial), status=404, model=model)
    return found


def verify_code(gtin: str, serial: str, query: dict[str, str], lot: str | None = None) -> Verdict:
    """Judge a scanned code (`lot`: the lot its URI names, if any). Raises MalformedCode for input that is not
    a product code at all."""
    signature, kid, number = query.get("s"), query.get("k"), query.get("n")
    # The label number exactly as signed: '01' is not label 1 (the signed message says '1').
    well_formed = bool(signature and kid and number and number.isascii() and number.isdigit() and len(number) <= 9
                       and number == str(int(number)))
    found = locate(gtin, serial, kid if well_formed else None, int(number) if well_formed else None,
                   signed=bool(signature))
    if isinstance(found, Verdict):
        return found
    model, unit = found.model, found.unit
    base = {"unit": unit, "model": model}
    if not signature:
        verdict = Verdict(VerdictKind.CANNOT_VERIFY, "unsigned",
                          _("This code carries no signature, so it cannot prove the product is genuine. "
                            "Here is what Provenance knows about this serial."), **base)
        return with_status(verdict, found, lot)
    if not well_formed:
        return not_genuine("malformed_signature", _("The code's signature fields are damaged or incomplete."), **base)
    key = found.key
    if key is None:
        return Verdict(VerdictKind.CANNOT_VERIFY, "unknown_key",
                       _("The code is signed with a key Provenance does not know, so it cannot be checked."),
                       status=422, **base)
    if key.manufacturer_id != model.manufacturer.id:
        return not_genuine("foreign_key", _("The code is signed with a key that does not belong to %(manufacturer)s.",
                                            manufacturer=model.manufacturer.name), **base)
    message = label_message(model.gtin, unit.serial, int(number), kid)
    try:
        public_key_object(key.public_key).verify(b64url_decode(signature), message)
    except (InvalidSignature, binascii.Error, ValueError):
        return not_genuine("bad_signature", _("The signature does not match this product: the code was altered or "
                                              "forged."), **base)
    signed = {"kid": kid, "label_number": int(number), "signed_message": message.decode(), "signature": signature}
    if key.state is KeyState.REVOKED:
        return not_genuine("revoked_key", _("The manufacturer revoked the key that signed this code on %(date)s: "
                                            "%(reason)s", date=long_date(key.revoked_at), reason=key.revoked_reason),
                           **base, **signed)
    if found.label_kid != kid:  # no such label, or one issued under another key
        return not_genuine("unknown_label", _("The manufacturer never issued this code for this unit."), **base, **signed)
    if found.label_state is LabelState.COMPROMISED:
        return not_genuine("copied_code", _("This code has been copied: the manufacturer confirmed clones of it "
                                            "and replaced the genuine unit's label."), **base, **signed)
    if found.label_state is LabelState.WITHDRAWN:
        return not_genuine("withdrawn_label", _("This code was withdrawn and replaced by the manufacturer."),
                            **base, **signed)
    verdict = Verdict(VerdictKind.GENUINE, "ok", _("The signature proves %(manufacturer)s issued this code for this "
                                                   "%(product)s.", manufacturer=model.manufacturer.name,
                                                   product=model.name), **base, **signed)
    return with_status(verdict, found, lot)


def with_status(verdict: Verdict, found: Found, lot: str | None = None) -> Verdict:
    """Add what the portal knows about the unit: registration, warranty, stolen, recalled, clone suspicion, and
    a lot on the code (`lot`) that is not the unit's recorded lot."""
    unit, since = verdict.unit, found.registered_since
    verdict.registered_since = since
    # Today in the warranty's time zone, as the owner's pages judge it (coverage.local_date), not the server's.
    now = utcnow()
    if unit.replaces_id:  # its term follows the unit it replaced: the full rules read that one
        cover = coverage(db.session.get(Unit, unit.id), now)
    else:
        cover = coverage(unit, now, known=coverage_facts(found))
    verdict.coverage = (_("Under the manufacturer's warranty") if cover.covered
                        else _("Not under the manufacturer's warranty")
                        if since is not None or not unit.model.warranty_months
                        else _("%(months)d-month warranty from purchase, once registered",
                               months=unit.model.warranty_months))
    if unit.status is Disposition.STOLEN:
        verdict.warnings.append("stolen")
    if unit.status is Disposition.RECALLED or found.recalled:
        verdict.warnings.append("recalled")
    elif unit.status is Disposition.DESTROYED:
        verdict.warnings.append("destroyed")
    if found.cloned:
        verdict.warnings.append("clone_suspected")
    if lot is not None and lot != unit.lot:
        verdict.warnings.append("lot_mismatch")
        verdict.notes["lot_mismatch"] = (
            _("This code says lot %(given)s, but the manufacturer recorded this unit in lot %(recorded)s. "
              "Check the product and its packaging.", given=lot, recorded=unit.lot) if unit.lot else
            _("This code says lot %(given)s, but the manufacturer recorded no lot for this unit. "
              "Check the product and its packaging.", given=lot))
    if verdict.warnings and verdict.kind is VerdictKind.GENUINE:
        verdict.kind = VerdictKind.WARNING
        verdict.message = verdict.warning_text(verdict.warnings[0])
    return verdict
