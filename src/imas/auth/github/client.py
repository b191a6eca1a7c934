"""Talking to GitHub: the OAuth app (Authlib), the account behind a token (REST API), health.

Every URL comes from settings, so GitHub Enterprise and the tests' local server work alike.
Neither the client secret nor any token is ever logged or put into an error message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from imas.auth.github.exceptions import (
    GitHubAppRejected,
    GitHubCodeRejected,
    GitHubNotConfigured,
    GitHubUnavailable,
)
from imas.config import Settings
from imas.orgs.models import Role

try:  # Authlib's client runs on httpx2 when it is installed, on httpx otherwise
    import httpx2

    _HTTP_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError, httpx2.HTTPError)
except ImportError:  # pragma: no cover
    _HTTP_ERRORS = (httpx.HTTPError,)
_EXCHANGE_ERRORS: tuple[type[Exception], ...] = (*_HTTP_ERRORS, ValueError)

log = structlog.get_logger(__name__)

SCOPES = "read:user user:email read:org"
# Token-endpoint errors that mean the app's settings are wrong, not the user's code.
_APP_MISCONFIGURED = frozenset({"incorrect_client_credentials", "redirect_uri_mismatch"})
CALLBACK_PATH = "/api/auth/github/callback/"
MAX_PAGES = 10
_API_HEADERS = {
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
    "User-Agent": "IMAS",
}


@dataclass(frozen=True)
class GitHubApp:
    """The OAuth app and sign-in policy, checked once from settings."""

    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    api_url: str
    redirect_uri: str
    allowed_orgs: frozenset[str]
    team_roles: dict[str, Role]
    default_role: Role
    imas_organization: str
    sync_roles: bool
    state_ttl_seconds: int
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> GitHubApp:
        missing = [
            name
            for name, value in (
                ("IMAS_GITHUB_CLIENT_ID", settings.github_client_id),
                ("IMAS_GITHUB_CLIENT_SECRET", settings.github_client_secret),
                ("IMAS_GITHUB_IMAS_ORGANIZATION", settings.github_imas_organization),
            )
            if not value
        ]
        if not settings.github_allowed_orgs and not settings.github_team_roles:
            missing.append("IMAS_GITHUB_ALLOWED_ORGS or IMAS_GITHUB_TEAM_ROLES")
        malformed = [team for team in settings.github_team_roles if team.count("/") != 1]
        if missing or malformed:
            details: dict[str, Any] = {"missing": missing}
            if malformed:
                details["malformed_teams"] = malformed
            raise GitHubNotConfigured(
                "GitHub sign-in is not available on this IMAS: an administrator must set "
                + ", ".join(missing + [f"teams as 'org/team' (not {t!r})" for t in malformed])
                + ".",
                details=details,
            )
        secret = settings.github_client_secret
        return cls(
            client_id=settings.github_client_id or "",
            client_secret=secret.get_secret_value() if secret else "",
            authorize_url=settings.github_authorize_url,
            token_url=settings.github_token_url,
            api_url=settings.github_api_url.rstrip("/"),
            redirect_uri=settings.public_url.rstrip("/") + CALLBACK_PATH,
            allowed_orgs=frozenset(org.lower() for org in settings.github_allowed_orgs),
            team_roles={
                team.lower(): Role(role) for team, role in settings.github_team_roles.items()
            },
            default_role=Role(settings.github_default_role),
            imas_organization=settings.github_imas_organization or "",
            sync_roles=settings.github_sync_roles,
            state_ttl_seconds=settings.github_state_ttl_seconds,
            timeout=settings.github_timeout_seconds,
        )

    def _oauth(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_endpoint_auth_method="client_secret_post",  # noqa: S106  (a method name)
            scope=SCOPES,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            timeout=self.timeout,
        )

    def authorization_url(self, state: str, code_verifier: str) -> str:
        url, _ = self._oauth().create_authorization_url(
            self.authorize_url, state=state, code_verifier=code_verifier
        )
        return str(url)

    async def exchange_code(self, code: str, code_verifier: str) -> str:
        """The user's access token for an authorization code (GitHub answers a bad code with
        200 and an `error` field, which Authlib raises)."""
        try:
            async with self._oauth() as oauth:
                token = await oauth.fetch_token(
                    self.token_url, code=code, code_verifier=code_verifier
                )
        except AuthlibBaseError as exc:
            if exc.error in _APP_MISCONFIGURED:
                log.warning("github_oauth_app_misconfigured", github_error=exc.error)
                raise GitHubAppRejected(
                    f"GitHub refused this IMAS's OAuth app ({exc.error}): an administrator must "
                    "check IMAS_GITHUB_CLIENT_ID, IMAS_GITHUB_CLIENT_SECRET and the app's "
                    f"callback URL ({self.redirect_uri}).",
                    details={"github_error": exc.error},
                ) from exc
            raise GitHubCodeRejected(
                "GitHub refused the authorization code (it may be expired or already used); "
                "start the sign-in again.",
                details={"github_error": exc.error},
            ) from exc
        except _EXCHANGE_ERRORS as exc:
            raise _unavailable("exchanging the authorization code", exc) from exc
        access = token.get("access_token")
        if not access:
            raise GitHubCodeRejected("GitHub answered the code exchange without an access token.")
        return str(access)

    async def account(self, access_token: str) -> GitHubAccount:
        """Who the token belongs to: profile, e-mails, organizations, teams (when mapped)."""
        headers = {**_API_HEADERS, "Authorization": f"Bearer {access_token}"}
        try:
            async with httpx.AsyncClient(
                base_url=self.api_url, headers=headers, timeout=self.timeout
            ) as api:
                user = await _get(api, "/user")
                emails = await _pages(api, "/user/emails", optional=True)
                orgs = await _pages(api, "/user/memberships/orgs", params={"state": "active"})
                teams = await _pages(api, "/user/teams") if self.team_roles else []
        except httpx.HTTPError as exc:
            raise _unavailable("reading the GitHub account", exc) from exc
        return GitHubAccount(
            id=int(user["id"]),
            login=str(user["login"]),
            name=str(user.get("name") or ""),
            avatar_url=user.get("avatar_url"),
            emails=tuple(
                GitHubEmail(
                    email=str(e["email"]),
                    primary=bool(e.get("primary")),
                    verified=bool(e.get("verified")),
                )
                for e in emails
                if e.get("email")
            ),
            orgs=frozenset(
                str(m["organization"]["login"]).lower()
                for m in orgs
                if m.get("state", "active") == "active"
            ),
            teams=frozenset(f"{t['organization']['login']}/{t['slug']}".lower() for t in teams),
        )


@dataclass(frozen=True)
class GitHubEmail:
    email: str
    primary: bool
    verified: bool


@dataclass(frozen=True)
class GitHubAccount:
    id: int
    login: str
    name: str
    avatar_url: str | None
    emails: tuple[GitHubEmail, ...]
    orgs: frozenset[str]
    teams: frozenset[str]

    @property
    def verified_primary_email(self) -> str | None:
        """The one e-mail IMAS trusts: primary and verified on GitHub (from `/user/emails`)."""
        for entry in self.emails:
            if entry.primary and entry.verified:
                return entry.email.lower()
        return None


def _unavailable(doing: str, exc: Exception) -> GitHubUnavailable:
    response = getattr(exc, "response", None)  # an HTTPStatusError of httpx or httpx2
    reason = f"HTTP {response.status_code}" if response is not None else type(exc).__name__
    return GitHubUnavailable(
        f"GitHub could not be reached or failed while {doing} ({reason}); try again later.",
        details={"reason": reason},
    )


async def _get(api: httpx.AsyncClient, path: str) -> dict[str, Any]:
    response = await api.get(path)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


async def _pages(
    api: httpx.AsyncClient,
    path: str,
    *,
    params: dict[str, str] | None = None,
    optional: bool = False,
) -> list[dict[str, Any]]:
    """Every item of a paginated list (following `Link: rel="next"`, at most MAX_PAGES).

    `optional`: a 403/404 (token without the scope) reads as an empty list.
    """
    items: list[dict[str, Any]] = []
    url: str | None = path
    query: dict[str, str] | None = {**(params or {}), "per_page": "100"}
    for _ in range(MAX_PAGES):
        if url is None:
            break
        response = await api.get(url, params=query)
        if optional and response.status_code in (403, 404):
            return items
        response.raise_for_status()
        page = response.json()
        if isinstance(page, list):
            items.extend(item for item in page if isinstance(item, dict))
        url = response.links.get("next", {}).get("url")
        query = None  # the next link carries its own query
    return items


async def github_status(
    settings: Settings,
    timeout: float,  # noqa: ASYNC109  (the health check's per-dependency budget)
) -> tuple[str, float | None]:
    """For `/health`: "available", "unavailable" or "not_configured", and the API's response
    time in milliseconds (None when not asked or not answered)."""
    if not (settings.github_client_id and settings.github_client_secret):
        return "not_configured", None
    started = time.perf_counter()
    try:
        async with httpx.AsyncClient(timeout=timeout, headers=_API_HEADERS) as http:
            response = await http.get(settings.github_api_url.rstrip("/") + "/")
    except httpx.HTTPError:
        return "unavailable", None
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    return ("available" if response.status_code < 500 else "unavailable"), elapsed
