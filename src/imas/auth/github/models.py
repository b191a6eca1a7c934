"""Tables of GitHub sign-in.

Neither table belongs to an organization: a GitHub account is linked to a user (who may be a
member of several organizations), and a login state exists before anyone is known.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from imas.db import Base, Timestamps, UUIDPk


class GitHubIdentity(UUIDPk, Timestamps, Base):
    """A GitHub account linked to an IMAS user (one each way)."""

    __tablename__ = "github_identities"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    github_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    login: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(
        String(254), doc="The verified primary e-mail at the last sign-in"
    )
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    last_login_at: Mapped[datetime | None]


class GitHubLoginState(UUIDPk, Base):
    """One sign-in under way: the SHA-256 of its `state`, usable once before it expires."""

    __tablename__ = "github_login_states"

    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_verifier: Mapped[str] = mapped_column(String(128), doc="PKCE verifier (RFC 7636)")
    redirect_to: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
