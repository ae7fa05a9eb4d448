"""GS1 identifiers: GTIN, serial/lot/CPV, Digital Link and element strings.

A serialized unit is identified in GS1 terms by its GTIN-14 plus its serial
number (AI 01 + AI 21). Every identifier that reaches the portal from outside
(scanned QR codes, typed URLs, label text, CSV imports) goes through this one
codec so there is exactly one definition of "valid" and one canonical form.
Pure functions, standard library only; every malformed input raises GS1Error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlencode

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

__all__ = [
    "CSET_82",
    "MAX_INPUT_LENGTH",
    "DigitalLink",
    "GS1Error",
    "canonical_gtin",
    "canonical_serial",
    "company_prefix_matches",
    "element_string_bytes",
    "format_digital_link",
    "format_element_string",
    "gtin_check_digit",
    "is_valid_gtin",
    "normalize_gtin",
    "parse_any",
    "parse_digital_link",
    "parse_element_string",
    "validate_company_prefix",
    "validate_cpv",
    "validate_lot",
    "validate_serial",
]

#: GS1 AI encodable character set 82 (General Specifications, figure 7.11-1).
CSET_82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
#: Longest Digital Link / element string accepted, after stripping whitespace.
MAX_INPUT_LENGTH = 2048

_GTIN_LENGTHS = (8, 12, 13, 14)
_DIGITS = re.compile(r"[0-9]+")  # not \d: that also matches non-ASCII digits
_SCHEME_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/]*")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BRACKETED_AI = re.compile(r"\((\d{2,4})\)")
# Digital Link path qualifiers of AI 01, in the order GS1 requires.
_QUALIFIERS = ("22", "10", "21")
_AI_FIELDS = {"01": "gtin", "22": "cpv", "10": "lot", "21": "serial"}
_AI_LABELS = {"01": "GTIN", "22": "CPV", "10": "Lot", "21": "Serial"}


class GS1Error(ValueError):
    """Invalid GS1 data. `field` names the culprit; str(err) says what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _clip(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _describe_char(ch: str) -> str:
    if ch == " ":
        return "' ' (space)"
    if ch.isascii() and ch.isprintable():
        return f"'{ch}'"
    return f"{ch!r} (U+{ord(ch):04X})"


# --- GTIN ---------------------------------------------------------------------

def gtin_check_digit(body: str) -> int:
    """GS1 mod-10 check digit for `body` (the GTIN digits without the check digit)."""
    if not isinstance(body, str) or not _DIGITS.fullmatch(body):
        raise GS1Error("gtin", _("GTIN may contain digits only"))
    # Weights 3, 1, 3, 1, ... starting from the rightmost digit of the body.
    total = 3 * sum(map(int, body[::-2])) + sum(map(int, body[-2::-2]))
    return (10 - total % 10) % 10


def _gtin14(text: str) -> str:
    """Validate an exact GTIN-8/12/13/14 string (no whitespace) and pad it to 14."""
    if not isinstance(text, str):
        raise GS1Error("gtin", f"GTIN must be text, got {type(text).__name__}")
    if not text:
        raise GS1Error("gtin", _("GTIN is empty"))
    if not _DIGITS.fullmatch(text):
        raise GS1Error("gtin", _("GTIN may contain digits only"))
    if len(text) not in _GTIN_LENGTHS:
        raise GS1Error("gtin", _("GTIN must be 8, 12, 13 or 14 digits, got %(count)d", count=len(text)))
    expected = gtin_check_digit(text[:-1])
    if int(text[-1]) != expected:
        raise GS1Error("gtin", _("GTIN check digit should be %(expected)s, not %(given)s", expected=expected,
                                 given=text[-1]))
    return text.zfill(14)


def normalize_gtin(text: str) -> str:
    """Return the 14-digit form of a GTIN-8/12/13/14; surrounding whitespace is ignored."""
    if not isinstance(text, str):
        raise GS1Error("gtin", f"GTIN must be text, got {type(text).__name__}")
    return _gtin14(text.strip())


_TYPED_SEPARATORS = re.compile(r"[ \t\-.]")


def canonical_gtin(text: str) -> str:
    """A GTIN as a person or a partner's system writes it, in its one stored form: surrounding space trimmed,
    spaces, dashes and dots between the digits dropped ("0761 2345-00001 5"), then the 14-digit form of
    normalize_gtin. Forms, the API, the CLI and imports read GTINs through this (docs/architecture.md,
    invariant 7); Digital Link paths use normalize_gtin, whose syntax has no separators."""
    if not isinstance(text, str):
        raise GS1Error("gtin", f"GTIN must be text, got {type(text).__name__}")
    return normalize_gtin(_TYPED_SEPARATORS.sub("", text.strip()))


def canonical_serial(text: str, *, case_insensitive: bool = False) -> str:
    """A serial as typed, in its stored form: surrounding space trimmed, upper case when its manufacturer
    declares serials case-insensitive, then validate_serial."""
    if not isinstance(text, str):
        raise GS1Error("serial", f"Serial must be text, got {type(text).__name__}")
    text = text.strip()
    return validate_serial(text.upper() if case_insensitive else text)


def is_valid_gtin(text: str) -> bool:
    try:
        normalize_gtin(text)
    except GS1Error:
        return False
    return True


def validate_company_prefix(prefix: str) -> str:
    """Return the GS1 company prefix (4 to 12 digits) without surrounding whitespace."""
    if not isinstance(prefix, str):
        raise GS1Error("company_prefix", f"Company prefix must be text, got {type(prefix).__name__}")
    prefix = prefix.strip()
    if prefix and not _DIGITS.fullmatch(prefix):
        raise GS1Error("company_prefix", "Company prefix may contain digits only")
    if not 4 <= len(prefix) <= 12:
        raise GS1Error("company_prefix", f"Company prefix must be 4 to 12 digits, got {len(prefix)}")
    return prefix


def company_prefix_matches(gtin14: str, prefix: str) -> bool:
    """True if the GTIN was allocated under `prefix` (which follows the indicator digit)."""
    gtin14 = normalize_gtin(gtin14)
    prefix = validate_company_prefix(prefix)
    return gtin14[1:1 + len(prefix)] == prefix


# --- Serial, lot, CPV (CSET 82, 1 to 20 characters) ------------------------------

_SERIAL_LABEL, _LOT_LABEL = _l("Serial"), _l("Lot")


def _validate_cset82(text: str, field_name: str, label: str) -> str:
    if not isinstance(text, str):
        raise GS1Error(field_name, f"{label} must be text, got {type(text).__name__}")
    if not text:
        raise GS1Error(field_name, _("%(label)s is empty; it may be 1 to 20 characters", label=label))
    if len(text) > 20:
        raise GS1Error(field_name, _("%(label)s may be 1 to 20 characters, got %(count)d", label=label,
                                     count=len(text)))
    for ch in text:
        if ch not in CSET_82:
            raise GS1Error(field_name, _("%(label)s contains a character GS1 does not allow: %(char)s",
                                         label=label, char=_describe_char(ch)))
    return text


def validate_serial(text: str) -> str:
    """AI 21 serial number: 1 to 20 CSET 82 characters, returned unchanged."""
    return _validate_cset82(text, "serial", _SERIAL_LABEL)


def validate_lot(text: str) -> str:
    """AI 10 batch/lot number: 1 to 20 CSET 82 characters, returned unchanged."""
    return _validate_cset82(text, "lot", _LOT_LABEL)


def validate_cpv(text: str) -> str:
    """AI 22 consumer product variant: 1 to 20 CSET 82 characters, returned unchanged."""
    return _validate_cset82(text, "cpv", "CPV")


# --- Digital Link -----------------------------------------------------------------

@dataclass(frozen=True)
class DigitalLink:
    """A validated GS1 identity: GTIN (always 14 digits) plus optional qualifiers."""

    gtin: str
    serial: str | None = None
    lot: str | None = None
    cpv: str | None = None
    query: dict[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "gtin", normalize_gtin(self.gtin))
        for value, check in ((self.serial, validate_serial), (self.lot, validate_lot),
                             (self.cpv, validate_cpv)):
            if value is not None:
                check(value)
        if not isinstance(self.query, dict):
            raise GS1Error("query", f"Query must be a dict, got {type(self.query).__name__}")
        for part in (*self.query, *self.query.values()):
            # A lone surrogate survives neither UTF-8 encoding nor a URI.
            if not isinstance(part, str) or part.encode("utf-8", "replace").decode() != part:
                raise GS1Error("query", f"Query keys and values must be UTF-8 text, got {part!r}")
        object.__setattr__(self, "query", dict(self.query))


def _prepare(text: str, field_name: str, label: str) -> str:
    if not isinstance(text, str):
        raise GS1Error(field_name, f"{label} must be text, got {type(text).__name__}")
    text = text.strip()
    if not text:
        raise GS1Error(field_name, f"{label} is empty")
    if len(text) > MAX_INPUT_LENGTH:
        raise GS1Error(field_name, f"{label} is too long: {len(text)} characters, "
                                   f"the limit is {MAX_INPUT_LENGTH}")
    return text


def _percent_decode(raw: str, field_name: str, label: str) -> str:
    if _BAD_PERCENT.search(raw):
        raise GS1Error(field_name, f"{label} has a '%' that is not followed by two hex digits")
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise GS1Error(field_name, f"{label} is not valid UTF-8 once percent-decoded") from None


def _parse_query(text: str) -> dict[str, str]:
    query: dict[str, str] = {}
    for pair in text.split("&"):
        if not pair:
            continue
        key, _sep, value = pair.partition("=")
        key = _percent_decode(key.replace("+", " "), "query", "Query key")
        value = _percent_decode(value.replace("+", " "), "query", f"Query value of {_clip(key)!r}")
        query.setdefault(key, value)  # first value wins
    return query


def parse_digital_link(uri_or_path: str) -> DigitalLink:
    """Parse a GS1 Digital Link URI (any host, any path prefix) or bare path."""
    text = _prepare(uri_or_path, "path", "Digital Link")
    text = text.split("#", 1)[0]
    path, _sep, query_text = text.partition("?")
    authority = _SCHEME_AUTHORITY.match(path)
    if authority:
        path = path[authority.end():]
    segments = path.rstrip("/").split("/")
    starts = [i for i, seg in enumerate(segments) if seg == "01"]
    if not starts:
        raise GS1Error("path", "Digital Link has no /01/<GTIN> in its path")
    # Keys sit at even offsets from /01/, so the pairs must run to the end of the path.
    start = next((i for i in starts if (len(segments) - i) % 2 == 0), starts[0])
    pairs = segments[start:]
    if "" in pairs:
        raise GS1Error("path", "Digital Link path has an empty segment ('//') after /01/")
    if len(pairs) % 2:
        raise GS1Error("path", f"Digital Link path ends with key {_clip(pairs[-1])!r} but no value")
    values = {"01": pairs[1]}
    last = -1
    for key, raw in zip(pairs[2::2], pairs[3::2]):
        if key in values:
            raise GS1Error("path", f"Key {key} ({_AI_FIELDS[key]}) appears twice in the path")
        if key not in _QUALIFIERS:
            raise GS1Error("path", f"Unknown key {_clip(key)!r} after the GTIN; "
                                   "only 22, 10 and 21 may follow, in that order")
        rank = _QUALIFIERS.index(key)
        if rank < last:
            raise GS1Error("path", f"Key {key} ({_AI_FIELDS[key]}) must come before key "
                                   f"{_QUALIFIERS[last]} ({_AI_FIELDS[_QUALIFIERS[last]]}); "
                                   "the order is 22, 10, 21")
        last = rank
        values[key] = raw
    decoded = {ai: _percent_decode(raw, _AI_FIELDS[ai], _AI_LABELS[ai]) for ai, raw in values.items()}
    return _link_from_values(decoded, _parse_query(query_text))


def _link_from_values(values: dict[str, str], query: dict[str, str] | None = None) -> DigitalLink:
    gtin = _gtin14(values["01"])  # exact: no whitespace tolerated inside an identifier
    return DigitalLink(gtin=gtin, serial=values.get("21"), lot=values.get("10"),
                       cpv=values.get("22"), query=query or {})


def parse_element_string(text: str) -> DigitalLink:
    """Parse the bracketed form "(01)09506000134352(10)ABC(21)12345" (AIs in any order).

    Only AIs 01, 10, 21 and 22 are read; any other bracketed AI, including one
    appearing inside a value, is rejected rather than silently swallowed.
    """
    text = _prepare(text, "element string", "Element string")
    tokens = list(_BRACKETED_AI.finditer(text))
    if not tokens or tokens[0].start() != 0:
        raise GS1Error("element string", "Element string must start with a bracketed AI, e.g. (01)")
    values: dict[str, str] = {}
    for token, following in zip(tokens, tokens[1:] + [None]):
        ai = token.group(1)
        if ai not in _AI_FIELDS:
            raise GS1Error("element string", f"Unsupported AI ({ai}); "
                                             "only (01), (10), (21) and (22) are read")
        if ai in values:
            raise GS1Error("element string", f"AI ({ai}) appears twice")
        values[ai] = text[token.end():following.start() if following else len(text)]
    if "01" not in values:
        raise GS1Error("element string", "Element string has no (01) GTIN")
    return _link_from_values(values)


def parse_any(text: str) -> DigitalLink:
    """Element string if `text` starts with "(", otherwise a Digital Link."""
    if isinstance(text, str) and text.lstrip().startswith("("):
        return parse_element_string(text)
    return parse_digital_link(text)


def _encode(value: str) -> str:
    # quote(safe="") keeps only RFC 3986 unreserved characters, as GS1 Digital Link requires.
    return quote(value, safe="")


def format_digital_link(link: DigitalLink, base: str = "https://id.gs1.org") -> str:
    """Canonical Digital Link URI: base + /01/<gtin14>[/22/..][/10/..][/21/..][?query]."""
    if not isinstance(base, str) or "?" in base or "#" in base:
        raise GS1Error("path", f"Digital Link base must be a URI without query or fragment: {base!r}")
    parts = [base.rstrip("/"), "01", link.gtin]
    for ai, value in (("22", link.cpv), ("10", link.lot), ("21", link.serial)):
        if value is not None:
            parts += [ai, _encode(value)]
    uri = "/".join(parts)
    return f"{uri}?{urlencode(link.query)}" if link.query else uri


def format_element_string(link: DigitalLink) -> str:
    """Human-readable element string: (01)<gtin14>[(22)..][(10)..][(21)..]."""
    out = f"(01){link.gtin}"
    for ai, value in (("22", link.cpv), ("10", link.lot), ("21", link.serial)):
        if value is not None:
            out += f"({ai}){value}"
    return out


def element_string_bytes(gtin14: str, serial: str) -> bytes:
    """Canonical bytes b"01" + GTIN-14 + b"21" + serial, e.g. as a signing payload.

    AI 01 is fixed-length and AI 21 comes last, so no FNC1 separator is needed.
    """
    return ("01" + normalize_gtin(gtin14) + "21" + validate_serial(serial)).encode("ascii")
