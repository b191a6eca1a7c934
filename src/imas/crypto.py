"""Secrets IMAS must use again (executor credentials, webhook signing secrets) are stored with
Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from the install's `secret_key` by HKDF,
one key per purpose, so the database alone never reveals them."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Unreadable(Exception):
    """Encrypted under another key (IMAS_SECRET_KEY changed since)."""


@dataclass(frozen=True)
class Purpose:
    salt: bytes
    info: bytes


@lru_cache(maxsize=16)
def _fernet(secret_key: str, purpose: Purpose) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=purpose.salt, info=purpose.info).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plaintext: str, secret_key: str, purpose: Purpose) -> str:
    return _fernet(secret_key, purpose).encrypt(plaintext.encode()).decode()


def decrypt(token: str, secret_key: str, purpose: Purpose) -> str:
    try:
        return _fernet(secret_key, purpose).decrypt(token.encode()).decode()
    except InvalidToken:
        raise Unreadable("IMAS_SECRET_KEY changed since this secret was stored") from None
