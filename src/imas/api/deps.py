"""Dependencies every route uses: the request's session, the caller, and the scope it needs.

The session is a function-scoped dependency: it commits after the handler returns and before
the answer is sent, so a 2xx always means the change is stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from imas.api.ratelimit import Bucket, RateLimiter, client_address
from imas.auth.service import Principal, principal_from_api_token, principal_from_jwt
from imas.config import Settings
from imas.db import Database
from imas.errors import NotAuthenticated
from imas.orgs.models import User

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

token_scheme = APIKeyHeader(
    name="Authorization",
    scheme_name="TokenAuth",
    description="`Token <api-token>`: an opaque API token from `POST /api/auth/token/`.",
    auto_error=False,
)
bearer_scheme = HTTPBearer(
    scheme_name="BearerAuth",
    bearerFormat="JWT",
    description="`Bearer <access-token>` from `POST /api/auth/login/`.",
    auto_error=False,
)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


async def get_session(
    request: Request, db: Annotated[Database, Depends(get_database)]
) -> AsyncIterator[AsyncSession]:
    factory = db.read_sessions if request.method in _READ_METHODS else db.write_sessions
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SettingsDep = Annotated[Settings, Depends(get_settings)]
LimiterDep = Annotated[RateLimiter, Depends(get_limiter)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def authenticate(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    _token: Annotated[str | None, Security(token_scheme)] = None,
    _bearer: Annotated[Any, Security(bearer_scheme)] = None,
) -> Principal:
    """Resolve `Authorization: Token ...` or `Authorization: Bearer ...` to a principal.

    A Bearer value without dots is taken as an API token too, so clients written for
    `Bearer`-only APIs work with IMAS tokens unchanged.
    """
    try:
        principal = await resolve_credential(
            request.headers.get("authorization", ""), session, settings
        )
    except NotAuthenticated:
        # Failed attempts count against the client's address, so guessing tokens is throttled.
        await limiter.check(request, "anonymous", client_address(request))
        raise
    bind_actor(session, request, principal.user)
    session.info["organization_id"] = principal.organization.id
    request.state.principal = principal
    await limiter.check(request, "api", principal.rate_key)
    return principal


def bind_actor(session: AsyncSession, request: Request, user: User) -> None:
    """Name who acts in this request's session: the audit trail records it with every change."""
    session.info.update(
        actor_id=user.id,
        actor_name=user.username,
        request_id=getattr(request.state, "request_id", None),
    )


async def resolve_credential(header: str, session: AsyncSession, settings: Settings) -> Principal:
    """The principal of an `Authorization` header value (`NotAuthenticated` otherwise)."""
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if not header:
        raise NotAuthenticated(
            "Send 'Authorization: Token <api-token>' or 'Authorization: Bearer <access-token>'.",
            details={"reason": "missing credential"},
        )
    if not credential or scheme.lower() not in ("token", "bearer"):
        raise NotAuthenticated(
            "The Authorization header must be 'Token <api-token>' or 'Bearer <access-token>'.",
            details={"reason": "malformed header"},
            error="Invalid token",
            code="invalid_token",
        )
    if scheme.lower() == "bearer" and "." in credential:
        return await principal_from_jwt(session, credential, secret=settings.secret_key)
    return await principal_from_api_token(session, credential)


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require(scope: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency: the caller, who must hold `scope` (403 otherwise)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        principal.require(scope)
        return principal

    dependency.__name__ = f"require_{scope.replace(':', '_')}"
    return dependency


def limit_by_client(bucket: Bucket) -> Callable[..., Coroutine[Any, Any, None]]:
    """Dependency: count the request against `bucket`, keyed by the client's address."""

    async def dependency(request: Request, limiter: LimiterDep) -> None:
        await limiter.check(request, bucket, client_address(request))

    return dependency
