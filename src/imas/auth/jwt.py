"""Signed JWTs for the Bearer scheme (HS256 with the instance secret)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

import jwt

from imas.db import utcnow
from imas.errors import NotAuthenticated, TokenExpired

ISSUER = "imas"
ALGORITHM = "HS256"
Kind = Literal["access", "refresh"]


def encode(
    secret: str,
    *,
    kind: Kind,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    org_id: uuid.UUID,
    ttl_seconds: int,
    now: datetime | None = None,
) -> str:
    issued = now or utcnow()
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "typ": kind,
        "sub": str(user_id),
        "sid": str(session_id),
        "org": str(org_id),
        "iat": issued,
        "exp": issued + timedelta(seconds=ttl_seconds),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode(secret: str, token: str, *, kind: Kind) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid", "org", "typ"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired(f"This {kind} token has expired; log in or refresh again.") from exc
    except jwt.PyJWTError as exc:
        raise NotAuthenticated(
            f"The {kind} token is invalid.", error="Invalid token", code="invalid_token"
        ) from exc
    if claims.get("typ") != kind:
        raise NotAuthenticated(
            f"A {claims.get('typ')} token was given where a {kind} token is needed.",
            error="Invalid token",
            code="invalid_token",
        )
    return claims
