"""What the pipeline tests do as a user: save connectors and pipelines, follow a run."""

from __future__ import annotations

import asyncio
from typing import Any

FINAL = ("success", "failed", "cancelled")


async def add_connector(client, actor, source, name: str | None = None, **extra: Any) -> str:
    """A connector for one of the conftest's databases or buckets; its id."""
    response = await client.post(
        "/api/v1/connectors/",
        headers=actor.headers,
        json={
            "name": name or f"source-{id(source)}",
            "connector_type": getattr(source, "kind", "s3"),
            "config": source.config,
            "credentials": source.credentials,
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def add_pipeline(client, actor, steps: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    body = {"name": "Customer Data Pipeline", "status": "active", "steps": steps, **fields}
    response = await client.post("/api/v1/pipelines/", headers=actor.headers, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def execute(client, actor, pipeline_id: str, **context: Any) -> str:
    response = await client.post(
        f"/api/v1/pipelines/{pipeline_id}/execute/",
        headers=actor.headers,
        json={"context": {"manual_trigger": True, **context}},
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending"
    return str(response.json()["run_id"])


async def wait_run(
    client, actor, run_id: str, states=FINAL, seconds: float = 30.0
) -> dict[str, Any]:
    async with asyncio.timeout(seconds):
        while True:
            response = await client.get(f"/api/v1/pipeline-runs/{run_id}/", headers=actor.headers)
            assert response.status_code == 200, response.text
            run = response.json()
            if run["status"] in states:
                return dict(run)
            await asyncio.sleep(0.05)


def extract_step(connector_id: str, query: str, name: str = "Extract", **config: Any) -> dict:
    return {
        "name": name,
        "step_type": "extract",
        "order_index": 1,
        "config": {"connector_id": connector_id, "query": query, **config},
    }
