"""EPC identifiers and Core Business Vocabulary words, in every spelling EPCIS 2.0 documents use.

Units are named as SGTIN pure-identity URNs (`urn:epc:id:sgtin:4012345.012345.S1`) or as GS1 Digital Link
URIs (`https://id.gs1.org/01/04012345123456/21/S1`); logistic units (pallets, cases) as SSCCs in either
form. A URN has no check digit and hides the company prefix's length in the dot's position, so the GTIN-14
is rebuilt from the parts. CBV words come bare (`shipping`), as URNs (`urn:epcglobal:cbv:bizstep:shipping`)
or as GS1 web vocabulary URIs (`https://ref.gs1.org/cbv/BizStep-shipping`); all read as the bare word.
Pure functions; every malformed input raises EpcisSyntaxError and nothing else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

from portal.core.gs1 import (
    CSET_82,
    DigitalLink,
    GS1Error,
    format_digital_link,
    gtin_check_digit,
    parse_digital_link,
    validate_serial,
)

MAX_EPC_LENGTH = 512

_SGTIN_URN = re.compile(r"urn:epc:id:sgtin:([0-9]{6,12})\.([0-9]{1,7})\.(.+)", re.IGNORECASE)
_SSCC_URN = re.compile(r"urn:epc:id:sscc:([0-9]{6,12})\.([0-9]{5,11})", re.IGNORECASE)
_SSCC_LINK = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*(?:/[^?#]*)?/00/([0-9]{18})/?(?:[?#].*)?")
_HTTP = re.compile(r"https?://", re.IGNORECASE)
_HEX = re.compile(r"%[0-9A-Fa-f]{2}")
#: A serial GS1 allows (AI 21: 1 to 20 characters of CSET 82), checked in one match.
_SERIAL = re.compile("[" + re.escape("".join(sorted(CSET_82))) + "]{1,20}")
#: Characters the EPC Tag Data Standard escapes in the serial of a pure-identity URN.
_URN_ESCAPES = {'"': "%22", "%": "%25", "&": "%26", "/": "%2F", "<": "%3C", ">": "%3E", "?": "%3F"}


class EpcisSyntaxError(ValueError):
    """An identifier or vocabulary word this capture cannot read; the message says what is wrong."""


@dataclass(frozen=True)
class Sgtin:
    """A serialized trade item: GTIN-14 and serial."""

    gtin: str
    serial: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.gtin, self.serial)


@dataclass(frozen=True)
class Sscc:
    """A logistic unit (pallet, case): the 18-digit SSCC with its check digit."""

    sscc: str


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _decode_serial(raw: str) -> str:
    """Undo the URN's percent-escapes; any %XX counts, a lone % does not."""
    if "%" not in raw:
        return raw
    if "%" in _HEX.sub("", raw):
        raise EpcisSyntaxError(f"the serial in {_clip(raw)!r} has a '%' not followed by two hex digits")
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise EpcisSyntaxError("the serial is not UTF-8 once percent-decoded") from None


def parse_epc(text: str) -> Sgtin | Sscc:
    """Read an SGTIN or SSCC in URN or Digital Link form."""
    if not isinstance(text, str):
        raise EpcisSyntaxError(f"an EPC is text, not {type(text).__name__}")
    return _parse_epc_text(text)


@lru_cache(maxsize=8192)  # a document names each identifier in several places (lists, index, report)
def _parse_epc_text(text: str) -> Sgtin | Sscc:
    text = text.strip()
    if not text:
        raise EpcisSyntaxError("an EPC is empty")
    if len(text) > MAX_EPC_LENGTH:
        raise EpcisSyntaxError(f"an EPC is at most {MAX_EPC_LENGTH} characters")
    if text[:4].lower() == "urn:":
        return _parse_urn(text)
    if _HTTP.match(text):
        sscc = _SSCC_LINK.fullmatch(text)
        if sscc:
            return _checked_sscc(sscc.group(1))
        try:
            link = parse_digital_link(text)
        except GS1Error as err:
            raise EpcisSyntaxError(f"{_clip(text)!r} is not a Digital Link of a unit: {err}") from None
        if link.serial is None:
            raise EpcisSyntaxError(f"{_clip(text)!r} names a product, not a unit: it has no /21/ serial")
        return Sgtin(link.gtin, link.serial)
    raise EpcisSyntaxError(f"{_clip(text)!r} is neither an EPC URN (urn:epc:id:...) nor a Digital Link URI")


def _parse_urn(text: str) -> Sgtin | Sscc:
    sgtin = _SGTIN_URN.fullmatch(text)
    if sgtin:
        prefix, item, raw_serial = sgtin.groups()
        if len(prefix) + len(item) != 13:
            raise EpcisSyntaxError(f"{_clip(text)!r}: company prefix and item reference must have 13 digits "
                                   f"together, not {len(prefix) + len(item)}")
        body = item[0] + prefix + item[1:]
        try:
            serial = _decode_serial(raw_serial)
            if not _SERIAL.fullmatch(serial):  # validate_serial says what is wrong
                serial = validate_serial(serial)
        except GS1Error as err:
            raise EpcisSyntaxError(f"{_clip(text)!r}: {err}") from None
        return Sgtin(_with_check_digit(body), serial)
    sscc = _SSCC_URN.fullmatch(text)
    if sscc:
        prefix, ref = sscc.groups()
        if len(prefix) + len(ref) != 17:
            raise EpcisSyntaxError(f"{_clip(text)!r}: company prefix and serial reference must have 17 digits "
                                   f"together, not {len(prefix) + len(ref)}")
        body = ref[0] + prefix + ref[1:]
        return Sscc(body + str(gtin_check_digit(body)))
    if text.lower().startswith(("urn:epc:id:sgtin:", "urn:epc:id:sscc:")):
        raise EpcisSyntaxError(f"{_clip(text)!r} is not a well-formed SGTIN or SSCC URN "
                               "(CompanyPrefix.ItemReference.Serial, or CompanyPrefix.SerialReference)")
    raise EpcisSyntaxError(f"{_clip(text)!r} is not an SGTIN or SSCC; only units and logistic units are read")


def canonical_epc(text: str) -> str:
    """One spelling per identifier, whichever form it came in: `01/<GTIN-14>/21/<serial>` for a unit,
    `00/<SSCC>` for a logistic unit, any other identifier as written (trimmed). Queries match on it."""
    try:
        epc = parse_epc(text)
    except EpcisSyntaxError:
        return text.strip()[:MAX_EPC_LENGTH] if isinstance(text, str) else ""
    if isinstance(epc, Sgtin):
        return f"01/{epc.gtin}/21/{epc.serial}"
    return f"00/{epc.sscc}"


_SGTIN_PATTERN = re.compile(r"urn:epc:idpat:sgtin:([0-9]{6,12})\.([0-9]{1,7})\.\*", re.IGNORECASE)


def epc_pattern(text: str) -> tuple[str, bool]:
    """What a query's MATCH_ value matches: (canonical identifier, False), or for an EPC pattern of every
    serial of a GTIN (urn:epc:idpat:sgtin:CompanyPrefix.ItemReference.*) (its prefix, True)."""
    pattern = _SGTIN_PATTERN.fullmatch(text.strip())
    if pattern:
        prefix, item = pattern.groups()
        if len(prefix) + len(item) != 13:
            raise EpcisSyntaxError(f"{_clip(text)!r}: company prefix and item reference must have 13 digits")
        body = item[0] + prefix + item[1:]
        return f"01/{body}{gtin_check_digit(body)}/21/", True
    if text.strip()[:4].lower() == "urn:" or _HTTP.match(text.strip()):
        canonical = canonical_epc(text)
        if canonical.startswith(("01/", "00/")) or text.strip()[:11].lower() == "urn:epc:id:":
            return canonical, False
    return text.strip()[:MAX_EPC_LENGTH], False


@lru_cache(maxsize=1024)  # one per GTIN: a document names many serials of few products
@lru_cache(maxsize=1024)  # a document's units come from few product models
def _with_check_digit(body: str) -> str:
    return body + str(gtin_check_digit(body))


def _checked_sscc(digits: str) -> Sscc:
    if int(digits[-1]) != gtin_check_digit(digits[:-1]):
        raise EpcisSyntaxError(f"SSCC {digits} has a wrong check digit")
    return Sscc(digits)


def format_sgtin_urn(gtin14: str, serial: str, prefix_length: int) -> str:
    """The pure-identity URN of a unit, with the company prefix `prefix_length` digits long."""
    if not 6 <= prefix_length <= 12:
        raise EpcisSyntaxError("a company prefix in an EPC URN has 6 to 12 digits")
    prefix, item = gtin14[1:1 + prefix_length], gtin14[0] + gtin14[1 + prefix_length:13]
    escaped = "".join(_URN_ESCAPES.get(ch, ch) for ch in serial)
    return f"urn:epc:id:sgtin:{prefix}.{item}.{escaped}"


def format_sgtin_link(gtin14: str, serial: str, base: str = "https://id.gs1.org") -> str:
    return format_digital_link(DigitalLink(gtin=gtin14, serial=serial), base)


def format_sscc_urn(sscc: str, prefix_length: int) -> str:
    return f"urn:epc:id:sscc:{sscc[1:1 + prefix_length]}.{sscc[0]}{sscc[1 + prefix_length:17]}"


def epc_label(epc: Sgtin | Sscc) -> str:
    """How reports and notes name an identifier: GTIN/serial, or the SSCC."""
    return f"{epc.gtin}/{epc.serial}" if isinstance(epc, Sgtin) else f"SSCC {epc.sscc}"


# --- Core Business Vocabulary -----------------------------------------------------------------------

#: The CBV's URN and web vocabulary spellings, per kind of word (bizStep, disposition).
_CBV_FORMS = {
    "bizStep": ("urn:epcglobal:cbv:bizstep:", "BizStep-"),
    "disposition": ("urn:epcglobal:cbv:disp:", "Disp-"),
}
_WEB_VOCABULARIES = ("https://ref.gs1.org/cbv/", "https://gs1.org/voc/", "http://gs1.org/voc/",
                     "https://ref.gs1.org/voc/")
_WORD = re.compile(r"[a-z][a-z0-9_]{0,63}")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s\"<>\\^`{|}]{1,250}")


def parse_cbv(kind: str, text: str) -> str:
    """The bare CBV word for a bizStep or disposition given in any of its spellings.

    A URI outside the CBV (a company's own step, which EPCIS allows) is returned whole; callers record it
    as "other".
    """
    if kind not in _CBV_FORMS:
        raise EpcisSyntaxError(f"unknown vocabulary {kind!r}")
    if not isinstance(text, str):
        raise EpcisSyntaxError(f"{kind} is text, not {type(text).__name__}")
    return _cbv_word(kind, text)


@lru_cache(maxsize=1024)  # a document repeats the same few steps and dispositions
def _cbv_word(kind: str, text: str) -> str:
    text = text.strip()
    urn, web = _CBV_FORMS[kind]
    word = None
    if text.lower().startswith(urn):
        word = text[len(urn):]
    else:
        for base in _WEB_VOCABULARIES:
            if text.startswith(base + web):
                word = text[len(base + web):]
                break
    if word is None and _WORD.fullmatch(text):
        return text
    if word is not None:
        if not _WORD.fullmatch(word):
            raise EpcisSyntaxError(f"{kind} {_clip(text)!r} does not end in a CBV word")
        return word
    if _URI.fullmatch(text) and not text.lower().startswith(("urn:epcglobal:cbv:",)):
        return text
    raise EpcisSyntaxError(f"{kind} {_clip(text)!r} is neither a CBV word nor a URI")


#: CBV vocabularies an answer writes as bare words, with their URN and web spellings.
_ANSWER_FORMS = {
    "bizStep": ("urn:epcglobal:cbv:bizstep:", "BizStep-"), "disposition": ("urn:epcglobal:cbv:disp:", "Disp-"),
    "btt": ("urn:epcglobal:cbv:btt:", "BTT-"), "sdt": ("urn:epcglobal:cbv:sdt:", "SDT-"),
    "er": ("urn:epcglobal:cbv:er:", "ER-"),
}


def cbv_word(kind: str, value):
    """A CBV value in the form EPCIS 2.0 JSON writes it: the bare word for a URN or web spelling of a CBV
    word (urn:epcglobal:cbv:bizstep:shipping -> shipping); anything else as it is."""
    if not isinstance(value, str):
        return value
    urn, web = _ANSWER_FORMS[kind]
    if value.lower().startswith(urn):
        word = value[len(urn):]
    else:
        word = next((value[len(base + web):] for base in _WEB_VOCABULARIES if value.startswith(base + web)), None)
    return word if word is not None and _WORD.fullmatch(word) else value


def format_cbv(kind: str, word: str, style: str) -> str:
    """`word` spelled as `style`: "bare", "urn" or "web"."""
    urn, web = _CBV_FORMS[kind]
    return {"bare": word, "urn": urn + word, "web": _WEB_VOCABULARIES[0] + web + word}[style]

