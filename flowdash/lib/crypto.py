"""Encryption at rest for the one secret flowdash keeps: the useapi.net API token.

Fernet (AES-128-CBC + HMAC-SHA256). The key is ``FLOWDASH_ENCRYPTION_KEY`` when set (a Fernet key,
or any passphrase, which is stretched), otherwise derived from ``SECRET_KEY`` with HKDF.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["InvalidToken", "decrypt", "encrypt", "fernet_for", "mask"]


def _derive(material: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"flowdash", info=b"useapi-token")
    return base64.urlsafe_b64encode(hkdf.derive(material.encode()))


def fernet_for(secret_key: str, encryption_key: str | None = None) -> Fernet:
    if encryption_key:
        try:
            return Fernet(encryption_key.encode())
        except ValueError:
            return Fernet(_derive(encryption_key))
    return Fernet(_derive(secret_key))


def _default() -> Fernet:
    from django.conf import settings

    return fernet_for(settings.SECRET_KEY, settings.FLOWDASH_ENCRYPTION_KEY)


def encrypt(plain: str, fernet: Fernet | None = None) -> str:
    return (fernet or _default()).encrypt(plain.encode()).decode()


def decrypt(cipher: str, fernet: Fernet | None = None) -> str:
    """Raises InvalidToken when the key changed or the value was tampered with."""
    return (fernet or _default()).decrypt(cipher.encode()).decode()


def mask(secret: str, keep: int = 4) -> str:
    """'user:123-abcdef…' → 'user:1•••••••cdef'; short values are fully hidden."""
    if len(secret) <= keep * 3:
        return "•" * 8
    return f"{secret[:keep]}{'•' * 8}{secret[-keep:]}"
