from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from imas.db import Base, OrgOwned, UUIDPk, utcnow


class ApiToken(UUIDPk, OrgOwned, Base):
    """An opaque `Authorization: Token ...` credential. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __audit__ = "api_token"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    scopes: Mapped[list[str] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AuthSession(UUIDPk, OrgOwned, Base):
    """One JWT login: its refresh token and every access token minted from it carry its id.

    Revoking the session (logout) ends the refresh token and the access tokens at once.
    """

    __tablename__ = "auth_sessions"
    __audit__ = "auth_session"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    scopes: Mapped[list[str] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_refreshed_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
