"""NFC taps for tests: the query an NTAG 424 DNA tag writes on a read, built the way the tag builds it
(docs/nfc.md), with keys the test derived from the tenant's master key."""
from __future__ import annotations

import secrets

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from portal.authenticity.nfc import sdm_mac, session_keys

ZERO_IV = bytes(16)


def tap_query(meta_key: bytes, file_key: bytes, uid: bytes, counter: int) -> str:
    """Encrypted PICCData (tag, UID, read counter, random padding) and the CMAC over an empty input."""
    plain = bytes([0xC7]) + uid + counter.to_bytes(3, "little") + secrets.token_bytes(5)
    picc = Cipher(algorithms.AES(meta_key), modes.CBC(ZERO_IV)).encryptor().update(plain)
    _, mac_key = session_keys(file_key, uid, counter)
    return f"picc_data={picc.hex().upper()}&cmac={sdm_mac(mac_key, b'').hex().upper()}"
