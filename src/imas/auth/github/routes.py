"""`/api/auth/github/` and its callback: GitHub sign-in ending in the same JWT session as
`POST /api/auth/login/`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Depends, Query, Request, Response

from imas.api.deps import SettingsDep, bind_actor, get_database, limit_by_client
from imas.api.errors import ErrorResponse
from imas.auth import service as auth_service
from imas.auth.github import service
from imas.auth.github.client import GitHubApp
from imas.auth.github.schemas import GitHubAuthStart, GitHubLogin, GitHubUserRead
from imas.db import Database
from imas.errors import ValidationFailed

router = APIRouter(prefix="/api/auth/github", tags=["auth"])
DatabaseDep = Annotated[Database, Depends(get_database)]
AuthLimited = Depends(limit_by_client("auth"))
_COOKIE_PATH = "/api/auth/github/"
_GITHUB_ERRORS: dict[int | str, dict[str, Any]] = {
    502: {"model": ErrorResponse, "description": "GitHub could not be reached or failed"},
    404: {"model": ErrorResponse, "description": "GitHub sign-in is not configured"},
    503: {"model": ErrorResponse, "description": "GitHub refused IMAS's client id or secret"},
}


@router.get(
    "/",
    response_model=GitHubAuthStart,
    dependencies=[AuthLimited],
    responses=_GITHUB_ERRORS,
    summary="Start signing in with GitHub: the URL to send the browser to",
)
async def start(
    response: Response,
    db: DatabaseDep,
    settings: SettingsDep,
    redirect_uri: Annotated[
        str | None, Query(max_length=500, description="Where to go after signing in")
    ] = None,
) -> GitHubAuthStart:
    app = GitHubApp.from_settings(settings)
    redirect_to = service.safe_redirect(settings.public_url, redirect_uri)
    async with db.transaction() as session:
        started = await service.begin(session, app, redirect_to=redirect_to)
    response.set_cookie(
        service.STATE_COOKIE,
        started.state,
        max_age=app.state_ttl_seconds,
        path=_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
    )
    response.headers["Cache-Control"] = "no-store"
    return GitHubAuthStart(
        auth_url=started.auth_url, state=started.state, expires_in=app.state_ttl_seconds
    )


@router.get(
    "/callback/",
    response_model=GitHubLogin,
    dependencies=[AuthLimited],
    responses=_GITHUB_ERRORS,
    summary="Finish signing in with GitHub: a JWT access token and refresh token",
)
async def callback(
    request: Request,
    response: Response,
    db: DatabaseDep,
    settings: SettingsDep,
    code: Annotated[str | None, Query(max_length=512)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    error_description: Annotated[str | None, Query(max_length=1000)] = None,
    browser_state: Annotated[str | None, Cookie(alias=service.STATE_COOKIE)] = None,
) -> GitHubLogin:
    app = GitHubApp.from_settings(settings)
    async with db.transaction() as session:
        login_state = await service.consume_state(session, state, browser_state)
    if error:
        raise service.refused(error, error_description)
    if not code:
        raise ValidationFailed.field("code", "GitHub sent no authorization code")
    access_token = await app.exchange_code(code, login_state.code_verifier)
    account = await app.account(access_token)
    async with db.transaction() as session:
        session.info["request_id"] = getattr(request.state, "request_id", None)
        signed = await service.sign_in(session, app, account)
        bind_actor(session, request, signed.user)
        issued = await auth_service.start_session(
            session,
            signed.user,
            signed.membership,
            secret=settings.secret_key,
            access_ttl=settings.access_token_ttl_seconds,
            refresh_ttl=settings.refresh_token_ttl_seconds,
        )
    response.delete_cookie(
        service.STATE_COOKIE,
        path=_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
    )
    response.headers["Cache-Control"] = "no-store"
    user = signed.user
    return GitHubLogin(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=settings.access_token_ttl_seconds,
        user=GitHubUserRead(
            id=user.id,
            github_id=signed.identity.github_id,
            login=signed.identity.login,
            username=user.username,
            name=user.name,
            email=user.email,
            avatar_url=user.avatar_url,
        ),
        organization=signed.organization.slug,
        role=signed.membership.role,
        redirect_to=login_state.redirect_to,
    )
