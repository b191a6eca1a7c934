"""Who is calling: passwords, API tokens, JWT sessions, and the principal they resolve to."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.audit.recorder import label
from imas.auth import jwt
from imas.auth.models import ApiToken, AuthSession
from imas.auth.passwords import verify_password
from imas.auth.scopes import ADMIN, effective_scopes, validate_scopes
from imas.db import acting_in, utcnow
from imas.errors import (
    InvalidCredentials,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    TokenExpired,
)
from imas.orgs.models import Membership, Organization, User

TOKEN_BYTES = 20  # 40 hex characters, the shape of the seed's example token


@dataclass(frozen=True)
class Principal:
    """The caller of a request: a user acting in one organization through one credential."""

    user: User
    organization: Organization
    role: str
    scopes: frozenset[str]
    credential: Literal["token", "jwt"]
    credential_id: uuid.UUID

    @property
    def rate_key(self) -> str:
        return f"{self.credential}:{self.credential_id}"

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise PermissionDenied(
                f"This action needs the '{scope}' scope, which your credential does not have.",
                details={"required_scope": scope},
            )


@dataclass(frozen=True)
class IssuedSession:
    session: AuthSession
    access_token: str
    refresh_token: str


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def check_password(session: AsyncSession, login: str, password: str) -> User:
    """The active user whose username or e-mail is `login`, if `password` is theirs.

    `login` may name two users (one's username is the other's e-mail): the password decides,
    the username match being tried first.
    """
    login = login.strip()
    candidates = (
        await session.scalars(
            select(User)
            .where(or_(User.username == login, func.lower(User.email) == login.lower()))
            .order_by(case((User.username == login, 0), else_=1))
        )
    ).all()
    if not candidates:
        await verify_password(None, password)  # as slow as a wrong password
    for user in candidates:
        if await verify_password(user.password_hash, password):
            if user.is_active:
                return user
            break
    raise InvalidCredentials("The username or password is incorrect.")


async def membership_for(
    session: AsyncSession, user: User, organization: str | None = None
) -> tuple[Membership, Organization]:
    """The membership the user acts through: the named org (slug or id) or their first one."""
    stmt = (
        select(Membership, Organization)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.user_id == user.id)
        .execution_options(all_orgs=True)
        .order_by(Membership.created_at, Membership.id)
    )
    if organization:
        match = [Organization.slug == organization]
        with contextlib.suppress(ValueError):
            match.append(Organization.id == uuid.UUID(organization))
        stmt = stmt.where(or_(*match))
    row = (await session.execute(stmt.limit(1))).first()
    if row is None:
        if organization:
            raise PermissionDenied(
                f"You are not a member of the organization '{organization}'.",
                details={"organization": organization},
            )
        raise PermissionDenied("This user belongs to no organization; ask an admin to add you.")
    return row[0], row[1]


async def create_api_token(
    session: AsyncSession,
    user: User,
    membership: Membership,
    *,
    name: str = "",
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token; the plain value is returned once and never stored."""
    raw = secrets.token_hex(TOKEN_BYTES)
    token = ApiToken(
        organization_id=membership.organization_id,
        user_id=user.id,
        name=name,
        token_hash=hash_token(raw),
        prefix=raw[:8],
        scopes=validate_scopes(scopes),
        expires_at=expires_at,
    )
    with acting_in(session, membership.organization_id):
        session.add(token)
        await session.flush()
    return token, raw


async def revoke_api_token(session: AsyncSession, token_id: uuid.UUID) -> None:
    token = await session.get(ApiToken, token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        label(session, token, "revoked")
        await session.flush()


async def revoke_credentials_of(session: AsyncSession, user_id: uuid.UUID) -> None:
    """End every API token and JWT session the user holds in the session's organization."""
    now = utcnow()
    tokens = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    )
    sessions = await session.scalars(
        select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    )
    credentials: list[ApiToken | AuthSession] = [*tokens.all(), *sessions.all()]
    for credential in credentials:
        credential.revoked_at = now
        label(session, credential, "revoked")
    await session.flush()


async def revoke_token_of(session: AsyncSession, principal: Principal, token_id: uuid.UUID) -> None:
    """Revoke one of the caller's tokens; an admin (the `admin` scope, not just the role) may
    revoke any token of the organization."""
    token = await session.get(ApiToken, token_id)
    if token is None or (token.user_id != principal.user.id and ADMIN not in principal.scopes):
        raise NotFound.of("token", token_id)
    await revoke_api_token(session, token.id)


async def _holder(
    session: AsyncSession, model: type[ApiToken] | type[AuthSession], match: Any, what: str
) -> tuple[Any, User, Membership, Organization]:
    """The credential matching `match`, its user, membership and org, if it may still be used."""
    row = (
        await session.execute(
            select(model, User, Membership, Organization)
            .join(User, User.id == model.user_id)
            .join(
                Membership,
                (Membership.user_id == model.user_id)
                & (Membership.organization_id == model.organization_id),
            )
            .join(Organization, Organization.id == model.organization_id)
            .where(match)
            .execution_options(all_orgs=True)
        )
    ).first()
    if row is None:
        raise NotAuthenticated(
            f"This {what} is invalid or no longer exists.",
            error="Invalid token",
            code="invalid_token",
        )
    credential = cast(ApiToken | AuthSession, row[0])
    user, membership, org = row[1], row[2], row[3]
    if credential.revoked_at is not None:
        raise TokenExpired(f"This {what} has been revoked or logged out; get a new one.")
    if credential.expires_at is not None and credential.expires_at <= utcnow():
        raise TokenExpired(f"This {what} has expired; get a new one.")
    if not user.is_active:
        raise NotAuthenticated("This user account is disabled.", code="account_disabled")
    return credential, user, membership, org


async def principal_from_api_token(session: AsyncSession, raw: str) -> Principal:
    token, user, membership, org = await _holder(
        session, ApiToken, ApiToken.token_hash == hash_token(raw), "API token"
    )
    return Principal(
        user=user,
        organization=org,
        role=membership.role,
        scopes=effective_scopes(membership.role, token.scopes),
        credential="token",
        credential_id=token.id,
    )


async def start_session(
    session: AsyncSession,
    user: User,
    membership: Membership,
    *,
    secret: str,
    access_ttl: int,
    refresh_ttl: int,
    scopes: list[str] | None = None,
) -> IssuedSession:
    now = utcnow()
    auth = AuthSession(
        organization_id=membership.organization_id,
        user_id=user.id,
        scopes=validate_scopes(scopes),
        created_at=now,
        expires_at=now + timedelta(seconds=refresh_ttl),
    )
    with acting_in(session, membership.organization_id):
        session.add(auth)
        await session.flush()
    user.last_login_at = now
    common = {
        "user_id": user.id,
        "session_id": auth.id,
        "org_id": membership.organization_id,
        "now": now,
    }
    return IssuedSession(
        session=auth,
        access_token=jwt.encode(secret, kind="access", ttl_seconds=access_ttl, **common),  # type: ignore[arg-type]
        refresh_token=jwt.encode(secret, kind="refresh", ttl_seconds=refresh_ttl, **common),  # type: ignore[arg-type]
    )


async def _live_session(
    session: AsyncSession, claims: dict[str, object]
) -> tuple[AuthSession, User, Membership, Organization]:
    try:
        sid = uuid.UUID(str(claims["sid"]))
    except ValueError as exc:
        raise NotAuthenticated(
            "The token is invalid.", error="Invalid token", code="invalid_token"
        ) from exc
    return await _holder(session, AuthSession, AuthSession.id == sid, "session")


async def principal_from_jwt(session: AsyncSession, raw: str, *, secret: str) -> Principal:
    claims = jwt.decode(secret, raw, kind="access")
    auth, user, membership, org = await _live_session(session, claims)
    return Principal(
        user=user,
        organization=org,
        role=membership.role,
        scopes=effective_scopes(membership.role, auth.scopes),
        credential="jwt",
        credential_id=auth.id,
    )


async def refresh_access(
    session: AsyncSession, refresh_token: str, *, secret: str, access_ttl: int
) -> str:
    claims = jwt.decode(secret, refresh_token, kind="refresh")
    auth, user, membership, _ = await _live_session(session, claims)
    now = utcnow()
    with acting_in(session, auth.organization_id):
        auth.last_refreshed_at = now
        await session.flush()
    return jwt.encode(
        secret,
        kind="access",
        user_id=user.id,
        session_id=auth.id,
        org_id=membership.organization_id,
        ttl_seconds=access_ttl,
        now=now,
    )


async def end_session(session: AsyncSession, session_id: uuid.UUID) -> None:
    auth = await session.get(AuthSession, session_id)
    if auth is not None and auth.revoked_at is None:
        auth.revoked_at = utcnow()
        label(session, auth, "revoked")
        await session.flush()
