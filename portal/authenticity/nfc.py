"""Secure Unique NFC (SUN) verification for NTAG 424 DNA tags in AES mode (NXP AN12196).

Pure functions: no Flask, no database. Replay protection (the tap counter must grow) is the caller's job,
because it needs the last counter stored for the tag.
"""
from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

UID_LEN = 7
_HEX = re.compile(r"[0-9A-Fa-f]*")
# Session vector labels (AN12196): SV1 derives the ENC session key, SV2 the MAC session key.
_SV1_LABEL = bytes.fromhex("C33C00010080")
_SV2_LABEL = bytes.fromhex("3CC300010080")


class SunError(ValueError):
    """Malformed SUN input: a parameter or key that is missing, of the wrong length, or not hex."""


@dataclass(frozen=True)
class SunParams:
    """The SUN parameters of one tap. `mac_input` is the query text the tag MACed (see default_mac_input)."""

    form: Literal["encrypted", "plain"]
    cmac: bytes
    picc_data: bytes | None = None
    uid: bytes | None = None
    counter: int | None = None
    enc: bytes | None = None
    mac_input: bytes = b""


@dataclass(frozen=True)
class SunResult:
    """The verdict. `uid`/`counter` are only trustworthy when `valid`; they are shown to help diagnose."""

    valid: bool
    uid: str
    counter: int
    file_data: bytes | None
    reason: str


def _hex(name: str, value: str, length: int | None = None, multiple: int | None = None) -> bytes:
    if not _HEX.fullmatch(value):
        raise SunError(f"{name}: not hexadecimal")
    if length is not None and len(value) != length:
        raise SunError(f"{name}: must be {length} hex digits, got {len(value)}")
    if multiple is not None and (not value or len(value) % multiple):
        raise SunError(f"{name}: must be a non-empty multiple of {multiple} hex digits, got {len(value)}")
    return bytes.fromhex(value)


def _key(name: str, key: bytes, sizes: tuple[int, ...] = (16,)) -> bytes:
    if not isinstance(key, (bytes, bytearray)) or len(key) not in sizes:
        got = len(key) if isinstance(key, (bytes, bytearray)) else type(key).__name__
        raise SunError(f"{name}: must be {' or '.join(map(str, sizes))} bytes, got {got}")
    return bytes(key)


def _query_text(query: str) -> str:
    """Accept a bare query, '?query', or a whole URL; the fragment is never part of the query."""
    if "?" in query or "://" in query:
        try:
            return urlsplit(query).query
        except ValueError as err:
            raise SunError(f"url: cannot be parsed ({err})") from None
    return query.split("#", 1)[0]


def _fields(query: str | Mapping) -> dict[str, str]:
    if isinstance(query, str):
        pairs = parse_qsl(_query_text(query), keep_blank_values=True)
    elif isinstance(query, Mapping):
        pairs = []
        for key, value in query.items():
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            pairs.extend((str(key), v) for v in values)
    else:
        raise SunError(f"query: must be a string or a mapping, got {type(query).__name__}")
    fields: dict[str, str] = {}
    for key, value in pairs:
        if not isinstance(value, str):
            raise SunError(f"{key}: must be text, got {type(value).__name__}")
        if key in fields:
            raise SunError(f"{key}: given more than once")
        fields[key] = value
    return fields


def parse_sun_params(query: str | Mapping) -> SunParams:
    """Read `picc_data`/`e` + `cmac`/`c` [+ `enc`] or `uid` + `ctr` + `cmac`; other parameters are ignored."""
    f = _fields(query)
    for long, short in (("picc_data", "e"), ("cmac", "c")):
        if long in f and short in f:
            raise SunError(f"{long}: given both as {long}= and as {short}=")
    mac_name = "cmac" if "cmac" in f else "c"
    if mac_name not in f:
        raise SunError("cmac: missing (expected cmac= or c=)")
    cmac = _hex(mac_name, f[mac_name], 16)
    enc = _hex("enc", f["enc"], multiple=32) if "enc" in f else None
    mac_input = b""
    if isinstance(query, str):
        try:
            mac_input = default_mac_input(query)
        except SunError:  # no MAC after enc: no genuine tag lays out a URL so; the CMAC check will say no
            pass
    picc_name = "picc_data" if "picc_data" in f else "e"
    if picc_name in f:
        picc = _hex(picc_name, f[picc_name], 32)
        return SunParams("encrypted", cmac, picc_data=picc, enc=enc, mac_input=mac_input)
    if "uid" in f or "ctr" in f:
        for name in ("uid", "ctr"):
            if name not in f:
                raise SunError(f"{name}: missing (the plain mirror form needs uid=, ctr= and cmac=)")
        uid = _hex("uid", f["uid"], 2 * UID_LEN)
        # Byte order: big-endian. The tag mirrors SDMReadCtr as ASCII hex MSB first ("00003D" is 61); only
        # in binary (PICCData "3D0000" in AN12196, SV1/SV2, the file-data IV) is it LSB first. NXP support
        # says so about AN12196's example, and the public plain-mirror vector verifies only when read so.
        counter = int.from_bytes(_hex("ctr", f["ctr"], 6), "big")
        return SunParams("plain", cmac, uid=uid, counter=counter, enc=enc, mac_input=mac_input)
    raise SunError("picc_data: missing (expected picc_data= or e=, or uid= and ctr= for the plain form)")


def default_mac_input(query: str) -> bytes:
    """The bytes the tag MACs: empty without `enc`, else the query text from the enc value through 'cmac='.

    The tag MACs its own NDEF text between SDMMACInputOffset and SDMMACOffset; the usual layout starts that
    range at the encrypted file data and ends it just before the MAC, i.e. 'ENCHEX&cmac='.
    """
    text = _query_text(query)
    match = re.search(r"(?:^|&)enc=", text)
    if match is None:
        return b""
    start = match.end()
    tail = re.compile(r"&(?:cmac|c)=").search(text, start)
    if tail is None:
        raise SunError("cmac: missing after enc= (the MAC input runs from the enc value through cmac=)")
    try:
        return text[start:tail.end()].encode("ascii")
    except UnicodeEncodeError:
        raise SunError("enc: the query text before cmac= is not ASCII") from None


def _aes_cmac(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def _uid_bytes(uid: bytes | str) -> bytes:
    raw = _hex("uid", uid, 2 * UID_LEN) if isinstance(uid, str) else bytes(uid)
    if len(raw) != UID_LEN:
        raise SunError(f"uid: must be {UID_LEN} bytes, got {len(raw)}")
    return raw


def _counter_le(counter: int) -> bytes:
    if not 0 <= counter <= 0xFFFFFF:
        raise SunError(f"counter: must fit 24 bits (0..16777215), got {counter}")
    return counter.to_bytes(3, "little")


def decrypt_picc_data(meta_key: bytes, picc_data: bytes) -> tuple[str, int]:
    """AES-128-CBC (zero IV) with K_SDMMetaRead; PICCDataTag says what is mirrored and the UID length."""
    meta_key = _key("meta_key", meta_key)
    if len(picc_data) != 16:
        raise SunError(f"picc_data: must be 16 bytes, got {len(picc_data)}")
    plain = Cipher(algorithms.AES(meta_key), modes.CBC(bytes(16))).decryptor().update(picc_data)
    tag = plain[0]
    # bit 7: UID mirrored, bit 6: SDMReadCtr mirrored, bits 5-4: RFU, bits 3-0: UID length.
    if tag & 0xF0 != 0xC0 or tag & 0x0F != UID_LEN:
        raise SunError(f"picc_data: PICCDataTag {tag:02X} does not announce a 7-byte UID and a counter "
                       "(wrong meta key, or a tag that does not mirror both)")
    return plain[1:8].hex().upper(), int.from_bytes(plain[8:11], "little")


def session_keys(file_key: bytes, uid: bytes | str, counter: int) -> tuple[bytes, bytes]:
    """(KSesSDMFileReadENC, KSesSDMFileReadMAC) = CMAC(K_SDMFileRead, SV1 / SV2).

    SV1 = C33C00010080 || UID || ctr LE, SV2 = 3CC300010080 || UID || ctr LE (16 bytes for a 7-byte UID).
    """
    file_key = _key("file_key", file_key)
    context = _uid_bytes(uid) + _counter_le(counter)
    return _aes_cmac(file_key, _SV1_LABEL + context), _aes_cmac(file_key, _SV2_LABEL + context)


def sdm_mac(mac_key: bytes, mac_input: bytes) -> bytes:
    """SDMMAC: the 8 bytes at odd (0-based) indexes of the full CMAC, as NXP truncates MACs."""
    return _aes_cmac(_key("mac_key", mac_key), mac_input)[1::2]


def decrypt_file_data(enc_key: bytes, counter: int, enc: bytes) -> bytes:
    """AES-CBC with IV = AES-ECB(KSesSDMFileReadENC, ctr LE || 13 zero bytes); no padding is removed."""
    enc_key = _key("enc_key", enc_key)
    if not enc or len(enc) % 16:
        raise SunError(f"enc: must be a non-empty multiple of 16 bytes, got {len(enc)}")
    iv = Cipher(algorithms.AES(enc_key), modes.ECB()).encryptor().update(_counter_le(counter) + bytes(13))
    return Cipher(algorithms.AES(enc_key), modes.CBC(iv)).decryptor().update(enc)


def verify_sun(params: SunParams, meta_key: bytes | None, file_key: bytes,
               mac_input: bytes = b"") -> SunResult:
    """Check one tap. A wrong key or forged value gives `valid=False` and a reason; bad input raises SunError.

    An empty `mac_input` with `enc` present falls back to `params.mac_input`: the tag always MACs over its
    encrypted file data, so an empty MAC input cannot be what it did.
    """
    file_key = _key("file_key", file_key)
    if params.form == "encrypted":
        if meta_key is None or params.picc_data is None:
            raise SunError("meta_key: required to decrypt picc_data")
        meta_key = _key("meta_key", meta_key)
        try:
            uid, counter = decrypt_picc_data(meta_key, params.picc_data)
        except SunError:
            return SunResult(False, "", 0, None, "the PICC data does not decrypt with this meta key")
    else:
        if params.uid is None or params.counter is None:
            raise SunError("uid: the plain form needs uid and ctr")
        uid, counter = params.uid.hex().upper(), params.counter
    if not mac_input and params.enc is not None:
        mac_input = params.mac_input
    enc_key, mac_key = session_keys(file_key, uid, counter)
    if not hmac.compare_digest(sdm_mac(mac_key, mac_input), params.cmac):
        return SunResult(False, uid, counter, None, "the CMAC does not match")
    file_data = decrypt_file_data(enc_key, counter, params.enc) if params.enc is not None else None
    return SunResult(True, uid, counter, file_data, "")


def diversify_key(master_key: bytes, uid: bytes, purpose: bytes) -> bytes:
    """Per-tag AES-128 key = AES-CMAC(master_key, 0x01 || purpose || uid).

    Provenance's own simple scheme, not NXP AN10922: a tenant keeps one master key and every tag gets
    its own key, so one extracted tag key opens no other tag. The UID has a fixed 7 bytes, so distinct
    purposes (e.g. b"sdm-file-read") never collide. The master key may be 16, 24 or 32 bytes.
    """
    master_key = _key("master_key", master_key, (16, 24, 32))
    if not purpose:
        raise SunError("purpose: must not be empty")
    return _aes_cmac(master_key, b"\x01" + bytes(purpose) + _uid_bytes(uid))
