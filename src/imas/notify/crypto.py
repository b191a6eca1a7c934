"""Subscription secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256), keyed from the install's
`secret_key` through HKDF, so the database alone never reveals a signing secret.

Changing `IMAS_SECRET_KEY` makes the stored secrets unreadable: their deliveries die with a
clear error until the subscriptions are created again.
"""

from __future__ import annotations

import base64
import secrets

from imas import crypto

SECRET_PREFIX = "whsec_"  # noqa: S105  (a prefix, not a secret)


class SecretUnreadable(Exception):
    """The stored secret was encrypted under another key (IMAS_SECRET_KEY changed)."""


_PURPOSE = crypto.Purpose(salt=b"imas.notify", info=b"webhook subscription secrets")


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes: the Standard Webhooks form of a signing secret."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def encrypt(secret: str, secret_key: str) -> str:
    return crypto.encrypt(secret, secret_key, _PURPOSE)


def decrypt(token: str, secret_key: str) -> str:
    try:
        return crypto.decrypt(token, secret_key, _PURPOSE)
    except crypto.Unreadable:
        raise SecretUnreadable(
            "the subscription's secret cannot be decrypted: IMAS_SECRET_KEY changed since it "
            "was created"
        ) from None
