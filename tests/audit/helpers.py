"""Reading the audit trail the way a client does."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import httpx

TRAIL = "/api/v1/audit-trail/"


async def trail(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict]:
    """Every event the caller sees (oldest first unless `ordering` says otherwise)."""
    query = {"page_size": 100, "ordering": "timestamp", **params}
    response = await client.get(TRAIL, headers=headers, params=query)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["results"]), "more than one page: narrow the test's data"
    return body["results"]


async def changes(
    client: httpx.AsyncClient, headers: dict[str, str], request: Awaitable[httpx.Response]
) -> tuple[httpx.Response, list[dict]]:
    """Send `request` and return its answer with the events it added to the caller's trail."""
    seen = {e["id"] for e in await trail(client, headers)}
    response = await request
    added = [e for e in await trail(client, headers) if e["id"] not in seen]
    return response, added


def only(events: list[dict], action: str) -> dict:
    matching = [e for e in events if e["action"] == action]
    assert len(matching) == 1, [e["action"] for e in events]
    return matching[0]


def parse_csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
