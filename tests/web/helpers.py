"""Shared steps of the dashboard tests: logging in through the form, reading a form's CSRF
token, and opening incidents through the API."""

from __future__ import annotations

import re

import httpx

from tests.factories import Actor

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


async def log_in(client: httpx.AsyncClient, actor: Actor) -> httpx.Response:
    response = await client.post(
        "/login", data={"login": actor.user.username, "password": actor.password}
    )
    assert response.status_code == 303, response.text
    return response


async def csrf_of(client: httpx.AsyncClient, path: str = "/incidents") -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found, "the page carries no CSRF token"
    return found.group(1)


async def open_incident(
    client: httpx.AsyncClient, actor: Actor, service_id: object, title: str, **fields: object
) -> str:
    response = await client.post(
        "/api/v1/incidents/",
        headers=actor.headers,
        json={"title": title, "service": str(service_id), "severity": "SEV2_HIGH", **fields},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["short_id"])
