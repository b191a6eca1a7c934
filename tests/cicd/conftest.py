"""CI/CD tests: repositories configured through the API, webhooks posted with real signatures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from imas.api.app import create_app
from imas.config import Settings
from imas.db import Database
from tests.cicd.payloads import REPO, body, github_signature
from tests.factories import Actor

REPOSITORIES = "/api/v1/ci/repositories/"
PIPELINES = "/api/v1/ci/pipelines/"
GITHUB = "/api/v1/ci/webhooks/github/"
GITLAB = "/api/v1/ci/webhooks/gitlab/"

AddRepo = Callable[..., Awaitable[dict[str, Any]]]
Post = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture(scope="session")
def cicd_settings(make_settings: Callable[..., Settings], settings: Settings) -> Settings:
    """Outbound webhooks may reach the local receivers of these tests."""
    return make_settings(webhook_allow_private=True, secret_key=settings.secret_key)


@pytest.fixture(scope="session")
def app(cicd_settings: Settings, db: Database) -> FastAPI:
    """One app for the session (building one costs more than most of these tests)."""
    return create_app(cicd_settings, db)


@pytest.fixture
def add_service(client: httpx.AsyncClient) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def create(actor: Actor, name: str = "api") -> dict[str, Any]:
        response = await client.post(
            "/api/v1/services/", json={"name": name}, headers=actor.headers
        )
        assert response.status_code == 201, response.text
        found: dict[str, Any] = response.json()
        return found

    return create


@pytest.fixture
def add_repo(client: httpx.AsyncClient, admin: Actor) -> AddRepo:
    """Configure a repository as `admin` (or `actor=`); the answer has `webhook_secret`."""

    async def create(actor: Actor | None = None, **fields: Any) -> dict[str, Any]:
        data = {"provider": "github", "full_name": REPO} | fields
        response = await client.post(REPOSITORIES, json=data, headers=(actor or admin).headers)
        assert response.status_code == 201, response.text
        found: dict[str, Any] = response.json()
        return found

    return create


@pytest.fixture
def github(client: httpx.AsyncClient) -> Post:
    """POST a GitHub event signed with `secret` (as GitHub does: HMAC-SHA256 of the body)."""

    async def post(
        event: str, payload: Any, secret: str, *, signature: str | None = None
    ) -> httpx.Response:
        raw = body(payload)
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
            "X-Hub-Signature-256": signature or github_signature(secret, raw),
            "User-Agent": "GitHub-Hookshot/044aadd",
        }
        return await client.post(GITHUB, content=raw, headers=headers)

    return post


@pytest.fixture
def gitlab(client: httpx.AsyncClient) -> Post:
    async def post(payload: Any, token: str, event: str = "Pipeline Hook") -> httpx.Response:
        headers = {
            "Content-Type": "application/json",
            "X-Gitlab-Event": event,
            "X-Gitlab-Token": token,
            "X-Gitlab-Instance": "https://gitlab.example.com",
        }
        return await client.post(GITLAB, content=body(payload), headers=headers)

    return post


async def runs(client: httpx.AsyncClient, actor: Actor, **params: Any) -> dict[str, Any]:
    response = await client.get(PIPELINES, params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found
