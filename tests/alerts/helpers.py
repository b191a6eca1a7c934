"""Posting to the receivers and reading back what IMAS made of it."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from imas.alerts.models import Alert
from imas.db import Database
from imas.incidents.models import Incident
from tests.alerts.factories import Hook
from tests.factories import Actor


async def post(
    client: httpx.AsyncClient, hook: Hook, payload: Any, *, expect: int | None = 200
) -> httpx.Response:
    response = await client.post(hook.url, json=payload, headers=hook.headers)
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


async def alerts(client: httpx.AsyncClient, actor: Actor, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/alerts/", headers=actor.headers, params={"page_size": 100, **params}
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def alert_detail(client: httpx.AsyncClient, actor: Actor, alert_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/alerts/{alert_id}/", headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def incidents(client: httpx.AsyncClient, actor: Actor, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/incidents/", headers=actor.headers, params={"page_size": 100, **params}
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def incident(client: httpx.AsyncClient, actor: Actor, ident: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/incidents/{ident}/", headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def counts(db: Database) -> tuple[int, int]:
    """Alerts and incidents in the whole database, every organization."""
    async with db.transaction(write=False) as session:
        n_alerts = await session.scalar(select(func.count()).select_from(Alert))
        n_incidents = await session.scalar(select(func.count()).select_from(Incident))
    return int(n_alerts or 0), int(n_incidents or 0)


def attached(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The incident's ALERT_ATTACHED timeline entries."""
    return [e for e in detail["timeline"] if e["type"] == "ALERT_ATTACHED"]
