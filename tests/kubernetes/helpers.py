"""What the Kubernetes tests do as a user."""

from __future__ import annotations

from typing import Any

from tests.kubernetes.conftest import TOKEN

CLUSTERS = "/api/v1/kubernetes/clusters/"


async def register(client, actor, url: str, name: str = "production-cluster", **extra: Any):
    body = {"name": name, "api_server_url": url, "token": TOKEN, **extra}
    response = await client.post(CLUSTERS, headers=actor.headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def refresh(client, actor, name: str = "production-cluster") -> dict[str, Any]:
    response = await client.post(f"{CLUSTERS}{name}/refresh/", headers=actor.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def get(client, actor, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"{CLUSTERS}{path}", headers=actor.headers, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def k8s_alerts(client, actor) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/alerts/", headers=actor.headers, params={"page_size": 100})
    assert response.status_code == 200, response.text
    return [a for a in response.json()["results"] if a["source"] == "kubernetes"]
