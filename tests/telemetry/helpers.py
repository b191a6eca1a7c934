"""Sending and reading metrics through the API, and a fixed clock just behind the real one
(points must not be in the future of the server's clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.factories import Actor

METRICS = "/api/v1/telemetry/metrics/"
RULES = "/api/v1/telemetry/rules/"


def base_time() -> datetime:
    """A whole hour at least an hour ago: buckets of any step up to 1 h start on it."""
    now = datetime.now(UTC)
    return now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def point(name: str, value: Any, at: datetime, **tags: str) -> dict[str, Any]:
    return {"name": name, "value": value, "unit": "percent", "timestamp": iso(at), "tags": tags}


async def send(
    client: httpx.AsyncClient, actor: Actor, points: list[dict[str, Any]], expect: int = 200
) -> dict[str, Any]:
    response = await client.post(METRICS, json={"metrics": points}, headers=actor.headers)
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


async def send_text(
    client: httpx.AsyncClient, actor: Actor, text: str, expect: int = 200
) -> dict[str, Any]:
    response = await client.post(
        METRICS,
        content=text.encode(),
        headers={**actor.headers, "Content-Type": "text/plain; version=0.0.4"},
    )
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


async def fetch(client: httpx.AsyncClient, actor: Actor, **params: Any) -> dict[str, Any]:
    response = await client.get(METRICS, params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def rule_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "CPU high",
        "metric_name": "cpu_usage",
        "matchers": [{"tag": "host", "op": "=", "value": "web-01"}],
        "aggregation": "avg",
        "window": "1m",
        "comparison": ">",
        "threshold": 90,
        "for": "2m",
        "severity": "critical",
        "labels": {"team": "web"},
        "annotations": {"summary": "CPU above 90% on web-01"},
        "interval": "30s",
        **overrides,
    }
