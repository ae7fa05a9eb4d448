"""Secrets at rest (private signing keys, NFC tag keys) encrypted with the instance's key-encryption key."""
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
