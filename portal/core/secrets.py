"""Secrets at rest (private signing keys, NFC tag keys) encrypted with the instance's key-encryption key."""
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet() -> Fernet:
    key = current_app.config.get("KEY_ENCRYPTION_KEY")
    if not key:
        raise RuntimeError("KEY_ENCRYPTION_KEY is not set; instance/config.py is written on first start")
    return Fernet(key)


def encrypt_secret(raw: bytes) -> str:
    return _fernet().encrypt(raw).decode()


def decrypt_secret(token: str) -> bytes:
    try:
        return _fernet().decrypt(token.encode())
    except InvalidToken:
        raise RuntimeError("a stored secret does not decrypt with this KEY_ENCRYPTION_KEY") from None


def digest(value: str | bytes) -> str:
    """The SHA-256 hex digest the portal stores in place of a secret it only needs to recognise (API tokens,
    session keys, transfer and recovery codes): the one place such hashes are made."""
    return hashlib.sha256(value.encode() if isinstance(value, str) else value).hexdigest()
