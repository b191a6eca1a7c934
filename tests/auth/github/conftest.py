"""GitHub sign-in against a local GitHub: an IMAS app configured for it, and a "browser" that
reaches both (cookies kept, redirects followed)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI

from imas.api.app import create_app
from imas.config import Settings
from imas.db import Database
from imas.orgs.models import Organization
from tests.auth.github.fake_github import CLIENT_ID, CLIENT_SECRET, FakeGitHub
from tests.factories import make_org

IMAS_URL = "http://testserver"


@pytest.fixture
async def github() -> AsyncIterator[FakeGitHub]:
    server = FakeGitHub()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def landing(db: Database) -> Organization:
    """The IMAS organization GitHub users sign in to."""
    return await make_org(db, name="Acme SRE")


@pytest.fixture
def github_settings(
    make_settings: Callable[..., Settings], github: FakeGitHub, landing: Organization
) -> Callable[..., Settings]:
    def build(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "public_url": IMAS_URL,
            "github_client_id": CLIENT_ID,
            "github_client_secret": CLIENT_SECRET,
            "github_authorize_url": f"{github.base_url}/login/oauth/authorize",
            "github_token_url": f"{github.base_url}/login/oauth/access_token",
            "github_api_url": github.base_url,
            "github_allowed_orgs": ["acme"],
            "github_team_roles": {"acme/sre": "admin", "acme/oncall": "responder"},
            "github_imas_organization": landing.slug,
        }
        values.update(overrides)
        return make_settings(**values)

    return build


@pytest.fixture
def make_app(db: Database) -> Callable[[Settings], FastAPI]:
    return lambda settings: create_app(settings, db)


@pytest.fixture
def imas(
    github_settings: Callable[..., Settings], make_app: Callable[[Settings], FastAPI]
) -> FastAPI:
    return make_app(github_settings())


def browser_for(app: FastAPI) -> httpx.AsyncClient:
    """One cookie jar for IMAS (in process) and GitHub (over the network), like a browser."""
    return httpx.AsyncClient(
        mounts={IMAS_URL: httpx.ASGITransport(app=app, raise_app_exceptions=False)},
        base_url=IMAS_URL,
        follow_redirects=True,
    )


@pytest.fixture
async def browser(imas: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with browser_for(imas) as http:
        yield http
    await imas.state.intake.close()


async def sign_in(browser: httpx.AsyncClient, **params: str) -> httpx.Response:
    """Click "Sign in with GitHub", consent on GitHub, land on the callback."""
    start = await browser.get("/api/auth/github/", params=params)
    assert start.status_code == 200, start.text
    return await browser.get(start.json()["auth_url"])
