"""What a client of the API does over and over: read an error, log in, get a token."""

from __future__ import annotations

import uuid
from typing import Any

import httpx


def without_id(body: dict[str, Any], ident: uuid.UUID | str) -> dict[str, Any]:
    """An error body with its request id dropped and `ident` masked, to compare two answers."""
    text = str(ident)

    def mask(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(text, "<id>")
        if isinstance(value, dict):
            return {k: mask(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        return value

    return {k: mask(v) for k, v in body.items() if k != "request_id"}


async def login(
    client: httpx.AsyncClient, username: str, password: str, organization: str | None = None
) -> httpx.Response:
    body = {"username": username, "password": password}
    if organization is not None:
        body["organization"] = organization
    return await client.post("/api/auth/login/", json=body)


async def bearer(
    client: httpx.AsyncClient, username: str, password: str, organization: str | None = None
) -> dict[str, str]:
    """Headers of a JWT session (log in, as the dashboard does)."""
    response = await login(client, username, password, organization)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def obtain_token(
    client: httpx.AsyncClient, username: str, password: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        "/api/auth/token/", json={"username": username, "password": password, **extra}
    )
