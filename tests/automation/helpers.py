"""What the automation tests do as a user: set up an executor, open an incident, follow a run."""

from __future__ import annotations

import asyncio

from tests.automation.fake_service import TOKEN


async def add_executor(client, actor, svc, service, name="api-restarter", **config):
    response = await client.post(
        "/api/v1/automation/executors/",
        headers=actor.headers,
        json={
            "name": name,
            "kind": "service",
            "base_url": svc.base_url,
            "service": str(service.id),
            "config": {
                "restart_path": "/ops/restart",
                "health_path": "/ops/health",
                "poll_seconds": 0.05,
                "health_timeout_seconds": 2,
                **config,
            },
            "credentials": {"token": TOKEN},
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def open_incident(client, actor, service, severity="SEV2_HIGH"):
    response = await client.post(
        "/api/v1/incidents/",
        headers=actor.headers,
        json={"title": "api-service 5xx", "service": str(service.id), "severity": severity},
    )
    assert response.status_code == 201, response.text
    return response.json()["short_id"]


async def incident(client, actor, short_id):
    response = await client.get(f"/api/v1/incidents/{short_id}/", headers=actor.headers)
    assert response.status_code == 200
    return response.json()


SEED_BODY = {
    "action": "restart_service",
    "parameters": {
        "service_name": "api-service",
        "environment": "production",
        "wait_for_health_check": True,
    },
}


async def until(client, actor, run_url, done, seconds=10.0):
    async with asyncio.timeout(seconds):
        while True:
            run = (await client.get(run_url, headers=actor.headers)).json()
            if done(run):
                return run
            await asyncio.sleep(0.05)
