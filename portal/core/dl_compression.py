"""GS1 Digital Link compression for the keys the portal reads: GTIN (01) with CPV (22), lot (10), serial (21).

A compressed Digital Link carries its element strings as one path segment: a bit string written in a
URI-safe 64-character alphabet. Each AI is written as 4-bit digits (or one byte standing for a common
sequence of AIs, e.g. 0C for 01 then 21), then its value: a fixed-length numeric value in binary, a
variable-length value as a 3-bit encoding indicator (digits, lower or upper hex, the 64-character
alphabet, 7-bit ASCII), a length, and the characters in that encoding. The query string stays as it is.

`compress` and `decompress` are pure; a segment that is not a compressed Digital Link raises GS1Error.
"""
from __future__ import annotations

import math
import re
from urllib.parse import urlencode

from portal.core.gs1 import DigitalLink, GS1Error

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_HEX = "0123456789ABCDEF"
SEGMENT = re.compile(r"[A-Za-z0-9_-]{10,}")  # a lone GTIN takes 10 characters; nothing shorter is one

#: The AIs read here: fixed-length numeric (N, digits) or variable alphanumeric (X, most characters).
_FIELDS = {"01": ("N", 14), "22": ("X", 20), "10": ("X", 20), "21": ("X", 20)}
#: One-byte codes for common sequences of AIs (those made only of the AIs above).
_SEQUENCES = {"0A": ("01", "22"), "0B": ("01", "10"), "0C": ("01", "21")}
_ATTRS = {"01": "gtin", "22": "cpv", "10": "lot", "21": "serial"}


def _length_bits(max_length: int) -> int:
    return math.ceil(math.log2(max_length) + 0.01)


def _value_bits(digits: int) -> int:
    return math.ceil(digits * math.log2(10) + 0.01)


def _encoding(text: str) -> int:
    if text.isascii() and text.isdigit():
        return 0
    if re.fullmatch(r"[0-9A-F]+", text):
        return 2
    if re.fullmatch(r"[0-9a-f]+", text):
        return 1
    if re.fullmatch(r"[A-Za-z0-9_-]+", text):
        return 3
    return 4


def _encode_value(ai: str, value: str) -> str:
    kind, size = _FIELDS[ai]
    if kind == "N":
        return format(int(value), "b").zfill(_value_bits(size))
    enc = _encoding(value)
    bits = format(enc, "03b") + format(len(value), "b").zfill(_length_bits(size))
    if enc == 0:
        return bits + format(int(value), "b").zfill(_value_bits(len(value)))
    if enc in (1, 2):
        return bits + "".join(format(_HEX.index(ch.upper()), "04b") for ch in value)
    if enc == 3:
        return bits + "".join(format(ALPHABET.index(ch), "06b") for ch in value)
    return bits + "".join(format(ord(ch), "07b") for ch in value)


def _ai_bits(code: str) -> str:
    return "".join(format(int(ch, 16), "04b") for ch in code)


def compress(link: DigitalLink, base: str) -> str:
    """`base` + '/' + the compressed segment of the link's GTIN and qualifiers; its query is appended as is."""
    values = {"01": link.gtin, "22": link.cpv, "10": link.lot, "21": link.serial}
    present = sorted(ai for ai, value in values.items() if value is not None)
    bits = ""
    # The sequence saving the most AI digits first (all save 4 here; the first in table order wins).
    for code, sequence in _SEQUENCES.items():
        if all(ai in present for ai in sequence):
            bits += _ai_bits(code) + "".join(_encode_value(ai, values[ai]) for ai in sequence)
            present = [ai for ai in present if ai not in sequence]
            break
    for ai in present:
        bits += _ai_bits(ai) + _encode_value(ai, values[ai])
    bits += "0" * (-len(bits) % 6)
    segment = "".join(ALPHABET[int(bits[i:i + 6], 2)] for i in range(0, len(bits), 6))
    uri = f"{base.rstrip('/')}/{segment}"
    if link.query:
        uri += "?" + urlencode(link.query)
    return uri


class _Reader:
    def __init__(self, bits: str):
        self.bits, self.at = bits, 0

    def take(self, count: int) -> str:
        if self.at + count > len(self.bits):
            raise GS1Error("path", "Compressed Digital Link ends in the middle of a value")
        chunk = self.bits[self.at:self.at + count]
        self.at += count
        return chunk

    def number(self, count: int) -> int:
        return int(self.take(count), 2) if count else 0


def _decode_value(reader: _Reader, ai: str) -> str:
    kind, size = _FIELDS[ai]
    if kind == "N":
        return str(reader.number(_value_bits(size))).zfill(size)
    enc = reader.number(3)
    length = reader.number(_length_bits(size))
    if length == 0 or length > size:
        raise GS1Error(_ATTRS[ai], f"Compressed value of AI {ai} has length {length}; it may be 1 to {size}")
    if enc == 0:
        return str(reader.number(_value_bits(length))).zfill(length)
    if enc in (1, 2):
        text = "".join(_HEX[reader.number(4)] for _ in range(length))
        return text.lower() if enc == 1 else text
    if enc == 3:
        return "".join(ALPHABET[reader.number(6)] for _ in range(length))
    if enc == 4:
        return "".join(chr(reader.number(7)) for _ in range(length))
    raise GS1Error(_ATTRS[ai], f"Compressed value of AI {ai} uses encoding {enc}, which does not exist")


def decompress(segment: str, query: dict[str, str] | None = None) -> DigitalLink:
    """The Digital Link a compressed path segment stands for. Raises GS1Error for anything else."""
    if not SEGMENT.fullmatch(segment or ""):
        raise GS1Error("path", "A compressed Digital Link is at least 10 characters of A-Z, a-z, 0-9, '-' and '_'")
    reader = _Reader("".join(format(ALPHABET.index(ch), "06b") for ch in segment))
    values: dict[str, str] = {}
    while len(reader.bits) - reader.at > 8:  # what is left after the last value is padding
        code = "".join(_HEX[reader.number(4)] for _ in range(2))
        sequence = _SEQUENCES.get(code) or ((code,) if code in _FIELDS else None)
        if sequence is None:
            raise GS1Error("path", f"Compressed Digital Link holds AI or sequence {code}; "
                                   "only 01, 22, 10 and 21 are read here")
        for ai in sequence:
            if ai in values:
                raise GS1Error("path", f"Compressed Digital Link holds AI {ai} twice")
            values[ai] = _decode_value(reader, ai)
    if reader.bits[reader.at:].strip("0"):
        raise GS1Error("path", "Compressed Digital Link has stray bits after its last value")
    if "01" not in values:
        raise GS1Error("path", "Compressed Digital Link holds no GTIN (AI 01)")
    return DigitalLink(values["01"], serial=values.get("21"), lot=values.get("10"), cpv=values.get("22"),
                       query=query or {})
