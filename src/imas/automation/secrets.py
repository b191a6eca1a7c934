"""Executor credentials and run callback secrets at rest (Fernet, see `imas.crypto`)."""

from __future__ import annotations

import json
from typing import Any

from imas import crypto
from imas.automation.actions.base import ActionFailed

_CREDENTIALS = crypto.Purpose(salt=b"imas.automation", info=b"executor credentials")
_CALLBACKS = crypto.Purpose(salt=b"imas.automation", info=b"run callback secrets")


def seal_credentials(credentials: dict[str, Any], secret_key: str) -> str | None:
    return (
        crypto.encrypt(json.dumps(credentials), secret_key, _CREDENTIALS) if credentials else None
    )


def open_credentials(sealed: str | None, secret_key: str) -> dict[str, Any]:
    if not sealed:
        return {}
    try:
        found: dict[str, Any] = json.loads(crypto.decrypt(sealed, secret_key, _CREDENTIALS))
    except crypto.Unreadable:
        raise ActionFailed(
            "the executor's credentials cannot be decrypted (IMAS_SECRET_KEY changed since they "
            "were saved): set them again"
        ) from None
    return found


def seal_callback_secret(secret: str, secret_key: str) -> str:
    return crypto.encrypt(secret, secret_key, _CALLBACKS)


def open_callback_secret(sealed: str | None, secret_key: str) -> str | None:
    if not sealed:
        return None
    try:
        return crypto.decrypt(sealed, secret_key, _CALLBACKS)
    except crypto.Unreadable:
        return None
