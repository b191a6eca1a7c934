"""A local GitHub speaking the part of its API that sign-in uses: the OAuth app's authorize and
token endpoints, `/user`, `/user/emails`, `/user/memberships/orgs` and `/user/teams`.

The person "at the browser" is `FakeGitHub.user`; `deny = True` makes them refuse consent.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.integrations.servers import LocalServer

CLIENT_ID = "Iv1.imas-test-client"
CLIENT_SECRET = "imas-test-client-secret"


@dataclass
class GitHubUser:
    id: int
    login: str
    name: str | None = None
    public_email: str | None = None
    emails: list[dict[str, Any]] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)  # "org/team-slug"

    @property
    def avatar_url(self) -> str:
        return f"https://avatars.githubusercontent.com/u/{self.id}"


@dataclass
class _Grant:
    user: GitHubUser
    redirect_uri: str
    code_challenge: str | None
    used: bool = False


class FakeGitHub(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.user = GitHubUser(id=1001, login="octocat")
        self.deny = False
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.api_calls: list[str] = []
        self._grants: dict[str, _Grant] = {}
        self._tokens: dict[str, GitHubUser] = {}

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", self.root),
                Route("/login/oauth/authorize", self.authorize),
                Route("/login/oauth/access_token", self.access_token, methods=["POST"]),
                Route("/user", self.profile),
                Route("/user/emails", self.emails),
                Route("/user/memberships/orgs", self.org_memberships),
                Route("/user/teams", self.teams),
            ]
        )

    async def root(self, request: Request) -> Response:
        return JSONResponse({"current_user_url": f"{self.base_url}/user"})

    async def authorize(self, request: Request) -> Response:
        query = dict(request.query_params)
        self.authorize_requests.append(query)
        if query.get("client_id") != CLIENT_ID:
            return JSONResponse({"message": "unknown client"}, status_code=404)
        redirect_uri, state = query["redirect_uri"], query.get("state", "")
        if self.deny:
            params = {
                "error": "access_denied",
                "error_description": "The user has denied your application access.",
                "state": state,
            }
            return RedirectResponse(f"{redirect_uri}?{urlencode(params)}", status_code=302)
        code = secrets.token_hex(10)
        self._grants[code] = _Grant(self.user, redirect_uri, query.get("code_challenge"))
        return RedirectResponse(
            f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", status_code=302
        )

    async def access_token(self, request: Request) -> Response:
        form = dict(await request.form())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse({"error": "incorrect_client_credentials"})
        grant = self._grants.get(str(form.get("code")))
        if grant is None or grant.used or form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse({"error": "bad_verification_code"})
        if grant.code_challenge is not None:
            verifier = str(form.get("code_verifier", "")).encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if digest.decode() != grant.code_challenge:
                return JSONResponse({"error": "bad_verification_code"})
        grant.used = True
        token = "gho_" + secrets.token_hex(18)
        self._tokens[token] = grant.user
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "bearer",
                "scope": "read:org,read:user,user:email",
            }
        )

    def _caller(self, request: Request) -> GitHubUser | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        self.api_calls.append(request.url.path)
        return self._tokens.get(token) if scheme.lower() in ("bearer", "token") else None

    def _unauthorized(self) -> Response:
        return JSONResponse({"message": "Bad credentials"}, status_code=401)

    async def profile(self, request: Request) -> Response:
        user = self._caller(request)
        if user is None:
            return self._unauthorized()
        return JSONResponse(
            {
                "id": user.id,
                "login": user.login,
                "name": user.name,
                "email": user.public_email,
                "avatar_url": user.avatar_url,
                "type": "User",
            }
        )

    async def emails(self, request: Request) -> Response:
        user = self._caller(request)
        if user is None:
            return self._unauthorized()
        return JSONResponse(user.emails)

    async def org_memberships(self, request: Request) -> Response:
        user = self._caller(request)
        if user is None:
            return self._unauthorized()
        return JSONResponse(
            [
                {"state": "active", "role": "member", "organization": {"login": org}}
                for org in user.orgs
            ]
        )

    async def teams(self, request: Request) -> Response:
        user = self._caller(request)
        if user is None:
            return self._unauthorized()
        return JSONResponse(
            [
                {"slug": team.split("/")[1], "organization": {"login": team.split("/")[0]}}
                for team in user.teams
            ]
        )
