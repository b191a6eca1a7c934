"""`/health` reports the registered clusters, counted, never named (it is public)."""

from __future__ import annotations

from imas.api.app import create_app
from tests.conftest import client_for
from tests.kubernetes.helpers import register
from tests.notify.receivers import free_port


async def test_clusters_are_pinged_and_counted(client, admin, k8s, k8s_settings, db):
    await register(client, admin, k8s.url, name="prod-eu-1")
    uncached = k8s_settings.model_copy(update={"health_cache_seconds": 0})  # same secret key
    async with client_for(create_app(uncached, db)) as http:
        body = (await http.get("/health")).json()
        assert body["status"] == "healthy"
        kubernetes = body["external_services"]["kubernetes"]
        assert kubernetes["status"] == "available"
        assert (kubernetes["clusters"], kubernetes["available"]) == (1, 1)
        assert kubernetes["response_time"] >= 0

        await register(client, admin, f"http://127.0.0.1:{free_port()}", name="prod-us-1")
        response = await http.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    kubernetes = body["external_services"]["kubernetes"]
    assert kubernetes["status"] == "degraded"
    assert (kubernetes["clusters"], kubernetes["available"]) == (2, 1)
    assert "prod-eu-1" not in response.text
    assert "prod-us-1" not in response.text
