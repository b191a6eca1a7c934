"""The dashboard's session: a cookie holding a JWT access token from the login service, and the
CSRF token that every state-changing form carries.

CSRF: the session cookie is HttpOnly and SameSite=Lax, and every POST form carries a per-session
token in a hidden `csrf_token` field: HMAC-SHA256(instance secret, "csrf:" + the session's id),
checked server-side in constant time. It needs no storage and dies with the session. The login
form (no session yet) is guarded by an Origin check instead: a cross-site `Origin` is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from imas.api.deps import resolve_credential
from imas.auth.service import Principal
from imas.config import Settings
from imas.errors import NotAuthenticated, PermissionDenied

SESSION_COOKIE = "imas_session"
CSRF_FIELD = "csrf_token"


class LoginRequired(NotAuthenticated):
    """No (or no longer a valid) session cookie: the dashboard sends the browser to /login."""


class CsrfRefused(PermissionDenied):
    def __init__(self) -> None:
        super().__init__(
            "This form has expired or did not come from IMAS; reload the page and try again.",
            code="csrf_failed",
            error="CSRF check failed",
        )


def csrf_token(settings: Settings, principal: Principal) -> str:
    message = f"csrf:{principal.credential_id}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def check_csrf(settings: Settings, principal: Principal, given: object) -> None:
    if not isinstance(given, str) or not hmac.compare_digest(
        given, csrf_token(settings, principal)
    ):
        raise CsrfRefused()


def same_origin(connection: HTTPConnection) -> bool:
    """False only when the browser names another site as the origin of the request."""
    origin = connection.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == connection.headers.get("host", "")


def cookie_credential(connection: HTTPConnection) -> str:
    """`Bearer <jwt>` from the session cookie, or "" (none, not a JWT, or sent from another
    site)."""
    token = connection.cookies.get(SESSION_COOKIE, "")
    if token.count(".") != 2 or not same_origin(connection):
        return ""
    return f"Bearer {token}"


async def principal_from_cookie(
    connection: HTTPConnection, session: AsyncSession, settings: Settings
) -> Principal:
    header = cookie_credential(connection)
    if not header:
        raise LoginRequired("Log in to use the dashboard.")
    try:
        principal = await resolve_credential(header, session, settings)
    except NotAuthenticated as exc:
        raise LoginRequired(exc.message) from exc
    session.info["organization_id"] = principal.organization.id
    session.info.update(actor_id=principal.user.id, actor_name=principal.user.username)
    return principal
