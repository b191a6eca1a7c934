"""`/`, `/login` and `/logout`: a session of the login service, kept in an HttpOnly cookie."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from imas.api.deps import SessionDep, SettingsDep, bind_actor, limit_by_client
from imas.auth import service as auth
from imas.errors import InvalidCredentials, NotAuthenticated, PermissionDenied
from imas.web.deps import ViewerDep
from imas.web.pages import PageRoute, render
from imas.web.session import SESSION_COOKIE, principal_from_cookie, same_origin

router = APIRouter(route_class=PageRoute)
_LOGIN_FIELD_MAX = 254


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never `//elsewhere` or a full URL) is followed after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/incidents"


@router.get("/")
async def home(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    try:
        await principal_from_cookie(request, session, settings)
    except NotAuthenticated:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/incidents", status_code=303)


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "login": ""})


@router.post("/login", dependencies=[Depends(limit_by_client("auth"))])
async def login(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    form = await request.form()
    login = str(form.get("login") or "")[:_LOGIN_FIELD_MAX]
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or ""))
    context = {"next": target, "login": login}
    if not same_origin(request):
        raise PermissionDenied("Log in from IMAS's own login page.", code="csrf_failed")
    try:
        user = await auth.check_password(session, login, password)
        membership, _ = await auth.membership_for(session, user)
    except (InvalidCredentials, PermissionDenied) as exc:
        context["error"] = exc.message
        return render(request, "login.html", context, status_code=exc.status_code)
    bind_actor(session, request, user)
    issued = await auth.start_session(
        session,
        user,
        membership,
        secret=settings.secret_key,
        access_ttl=settings.access_token_ttl_seconds,
        refresh_ttl=settings.access_token_ttl_seconds,  # the cookie is the whole session
    )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issued.access_token,
        max_age=settings.access_token_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or settings.public_url.startswith("https://"),
        path="/",
    )
    return response


@router.get("/logout")
async def logout_form(request: Request, viewer: ViewerDep) -> Response:
    return render(request, "logout.html", viewer.context(nav=""))


@router.post("/logout")
async def logout(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    await viewer.check_form(request)
    if viewer.principal.credential == "jwt":
        await auth.end_session(session, viewer.principal.credential_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response
