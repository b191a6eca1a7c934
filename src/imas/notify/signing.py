"""The signature headers of a delivery. One secret, one HMAC-SHA256 over the raw body, sent in
the three forms the seeds' receivers check, plus the Standard Webhooks headers.

- `X-Signature-256: sha256=<hex>` (seed 001: its Flask `verify_signature` works unchanged),
  `X-Webhook-Signature: sha256=<hex>` (seed 002), `X-ETL-Signature: <hex>` (seed 003): HMAC of
  the raw body, keyed with the secret string exactly as shown at creation (`secret.encode()`).
- `webhook-id` (the event id, also the receiver's idempotency key), `webhook-timestamp` (Unix
  seconds of this attempt) and `webhook-signature: v1,<base64 HMAC of "id.timestamp.body">`
  (https://www.standardwebhooks.com): keyed, as that specification says, with the base64-decoded
  part of the secret after `whsec_`, so the Standard Webhooks libraries verify it as they are.
  Because it covers the timestamp, a receiver can refuse replays (e.g. older than 5 minutes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from imas.notify.crypto import SECRET_PREFIX


def body_hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_key(secret: str) -> bytes:
    """The Standard Webhooks key of a secret (`whsec_<base64>`); another form is used as is."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except binascii.Error:
            pass
    return secret.encode()


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    hexdigest = body_hmac_hex(secret, body)
    return {
        "X-Signature-256": f"sha256={hexdigest}",
        "X-Webhook-Signature": f"sha256={hexdigest}",
        "X-ETL-Signature": hexdigest,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret, msg_id, timestamp, body),
    }


RESERVED_HEADERS = frozenset(
    name.lower()
    for name in (
        "X-Signature-256",
        "X-Webhook-Signature",
        "X-ETL-Signature",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "X-IMAS-Delivery",
        "X-IMAS-Event",
        "Host",
        "Content-Length",
        "Transfer-Encoding",
        "Connection",
    )
)
"""Headers IMAS sets itself: a subscription's custom headers may not replace them."""
