"""`/api/auth/...`: API tokens (seed: imas-manager) and JWT sessions (seeds: opssight, 001)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from imas.api.body import json_or_form, parse_json_or_form
from imas.api.deps import CurrentPrincipal, SessionDep, SettingsDep, bind_actor, limit_by_client
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.auth import repository, service
from imas.auth.schemas import (
    AccessToken,
    ApiTokenRead,
    LoginRequest,
    MessageResponse,
    RefreshRequest,
    TokenCreated,
    TokenPair,
    TokenRequest,
    TokenVerified,
)
from imas.auth.scopes import effective_scopes
from imas.db import utcnow
from imas.errors import IMASError

router = APIRouter(prefix="/api/auth", tags=["auth"])
tokens_router = APIRouter(prefix="/api/v1/tokens", tags=["auth"])
AuthLimited = Depends(limit_by_client("auth"))


@router.post(
    "/token/",
    response_model=TokenCreated,
    dependencies=[AuthLimited],
    openapi_extra=json_or_form(TokenRequest),
    summary="Create an API token from a username and password",
)
async def create_token(request: Request, session: SessionDep) -> TokenCreated:
    data = await parse_json_or_form(request, TokenRequest)
    user = await service.check_password(session, data.login, data.password)
    bind_actor(session, request, user)
    membership, org = await service.membership_for(session, user, data.organization)
    expires_at = utcnow() + timedelta(days=data.expires_in_days) if data.expires_in_days else None
    token, raw = await service.create_api_token(
        session, user, membership, name=data.name, scopes=data.scope_list(), expires_at=expires_at
    )
    return TokenCreated(
        token=raw,
        access_token=raw,
        user_id=user.id,
        username=user.username,
        token_id=token.id,
        organization=org.slug,
        scopes=sorted(effective_scopes(membership.role, token.scopes)),
        expires_at=token.expires_at,
    )


@router.post(
    "/token/revoke/", response_model=MessageResponse, summary="Revoke the token you call with"
)
async def revoke_token(session: SessionDep, principal: CurrentPrincipal) -> MessageResponse:
    if principal.credential != "token":
        raise IMASError(
            "This call revokes an API token; to end a JWT session use POST /api/auth/logout/.",
            code="wrong_credential",
        )
    await service.revoke_api_token(session, principal.credential_id)
    return MessageResponse(message="Token revoked successfully")


@router.get(
    "/token/verify/", response_model=TokenVerified, summary="Check the credential you call with"
)
async def verify_token(principal: CurrentPrincipal) -> TokenVerified:
    return TokenVerified(
        valid=True,
        user_id=principal.user.id,
        username=principal.user.username,
        organization=principal.organization.slug,
        scopes=sorted(principal.scopes),
    )


@router.post(
    "/login/",
    response_model=TokenPair,
    dependencies=[AuthLimited],
    openapi_extra=json_or_form(LoginRequest),
    summary="Log in: a JWT access token and refresh token",
)
async def login(request: Request, session: SessionDep, settings: SettingsDep) -> TokenPair:
    data = await parse_json_or_form(request, LoginRequest)
    user = await service.check_password(session, data.login, data.password)
    bind_actor(session, request, user)
    membership, _ = await service.membership_for(session, user, data.organization)
    issued = await service.start_session(
        session,
        user,
        membership,
        secret=settings.secret_key,
        access_ttl=settings.access_token_ttl_seconds,
        refresh_ttl=settings.refresh_token_ttl_seconds,
        scopes=data.scope_list(),
    )
    return TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=settings.access_token_ttl_seconds,
    )


@router.post(
    "/refresh/",
    response_model=AccessToken,
    dependencies=[AuthLimited],
    summary="A new access token from a refresh token",
)
async def refresh(data: RefreshRequest, session: SessionDep, settings: SettingsDep) -> AccessToken:
    access = await service.refresh_access(
        session,
        data.refresh_token,
        secret=settings.secret_key,
        access_ttl=settings.access_token_ttl_seconds,
    )
    return AccessToken(access_token=access, expires_in=settings.access_token_ttl_seconds)


@router.post("/logout/", response_model=MessageResponse, summary="End your JWT session")
async def logout(session: SessionDep, principal: CurrentPrincipal) -> MessageResponse:
    if principal.credential == "jwt":
        await service.end_session(session, principal.credential_id)
    else:
        await service.revoke_api_token(session, principal.credential_id)
    return MessageResponse(message="Successfully logged out")


@tokens_router.get(
    "/", response_model=Page[ApiTokenRead], summary="Your API tokens in this organization"
)
async def list_tokens(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    pages: Annotated[PageParams, Depends(page_params)],
) -> Page[ApiTokenRead]:
    stmt = repository.tokens_of(principal.user.id)
    return await paginate(session, stmt, pages, request, ApiTokenRead.model_validate)


@tokens_router.delete(
    "/{token_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke one of your tokens (admins: any token of the organization)",
)
async def delete_token(
    token_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    await service.revoke_token_of(session, principal, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
