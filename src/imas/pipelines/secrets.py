"""Connector credentials at rest: Fernet under a key derived from `IMAS_SECRET_KEY` (see
`imas.crypto`). Rotation: set the new key in `IMAS_SECRET_KEY` and the old one in
`IMAS_PREVIOUS_SECRET_KEYS`; credentials sealed under an old key are still read, and
`imas pipelines rotate-credentials` re-seals them all under the new one."""

from __future__ import annotations

import json
from typing import Any

from imas import crypto
from imas.config import Settings

_CREDENTIALS = crypto.Purpose(salt=b"imas.pipelines", info=b"connector credentials")


class CredentialsUnreadable(Exception):
    pass


def seal(credentials: dict[str, Any], settings: Settings) -> str | None:
    if not credentials:
        return None
    return crypto.encrypt(json.dumps(credentials), settings.secret_key, _CREDENTIALS)


def open_(sealed: str | None, settings: Settings) -> dict[str, Any]:
    if not sealed:
        return {}
    for key in (settings.secret_key, *settings.previous_secret_keys):
        try:
            found: dict[str, Any] = json.loads(crypto.decrypt(sealed, key, _CREDENTIALS))
        except crypto.Unreadable:
            continue
        return found
    raise CredentialsUnreadable(
        "the connector's credentials cannot be decrypted (IMAS_SECRET_KEY changed and the old "
        "key is not in IMAS_PREVIOUS_SECRET_KEYS): set them again"
    )


def needs_resealing(sealed: str | None, settings: Settings) -> bool:
    if not sealed:
        return False
    try:
        crypto.decrypt(sealed, settings.secret_key, _CREDENTIALS)
    except crypto.Unreadable:
        return True
    return False
