"""Seed 002's events reach webhook subscriptions in the DESIGN envelope, signed so the seed's
own receiver check (`X-Webhook-Signature: sha256=<HMAC-SHA256(secret, body)>`) passes."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import pytest

from imas.jobs.worker import Worker
from tests.cicd.payloads import workflow_job, workflow_run
from tests.notify.receivers import Receiver

SEED_002 = [
    "pipeline.started",
    "pipeline.completed",
    "pipeline.failed",
    "alert.created",
    "alert.resolved",
    "deployment.started",
    "deployment.completed",
]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    running = await Receiver().start()
    yield running
    await running.stop()


async def _subscribe(client, admin, url: str, events: list[str]) -> str:
    response = await client.post(
        "/api/v1/webhook-subscriptions/",
        json={"name": "devops", "url": url, "events": events},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    secret: str = response.json()["secret"]
    return secret


async def _delivered(app, db, receiver: Receiver, count: int) -> list[dict]:
    worker = Worker(db, app.state.settings, concurrency=2, poll_interval=0.05)
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(15):
            while len(receiver.received) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await task
    return [json.loads(r.body) for r in receiver.received]


async def test_the_catalogue_lists_seed_002s_events(client, admin):
    response = await client.get("/api/v1/webhook-subscriptions/events/", headers=admin.headers)
    assert response.status_code == 200
    names = json.dumps(response.json())
    for name in SEED_002:
        assert f'"{name}"' in names


async def test_a_deployment_reaches_a_subscription_signed(
    app, db, client, admin, add_repo, add_service, github, receiver
):
    secret = await _subscribe(
        client, admin, receiver.url, ["deployment.started", "deployment.completed"]
    )
    service = await add_service(admin, "api")
    repo = (await add_repo(service=service["id"]))["webhook_secret"]
    await github("workflow_run", workflow_run("in_progress", name="Deploy"), repo)
    done = workflow_run("completed", name="Deploy", conclusion="success")
    await github("workflow_run", done, repo)
    await github("workflow_run", done, repo)  # redelivered: no second event

    events = await _delivered(app, db, receiver, 2)
    await asyncio.sleep(0.2)
    assert len(receiver.received) == 2
    for received in receiver.received:
        expected = hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(received.headers["x-webhook-signature"], f"sha256={expected}")
    by_name = {e["event"]: e for e in events}
    completed = by_name["deployment.completed"]
    assert set(completed) == {"event_id", "event_type", "type", "event", "timestamp", "data"}
    assert completed["event_type"] == completed["type"] == "deployment.completed"
    deployment = completed["data"]["deployment"]
    assert deployment["service"] == {"id": service["id"], "name": "api"}
    assert deployment["status"] == "success"
    assert deployment["repository"] == "acme/api"
    pipeline = completed["data"]["pipeline"]
    assert (pipeline["repository"], pipeline["branch"], pipeline["status"]) == (
        "acme/api",
        "main",
        "success",
    )
    assert pipeline["duration"] == 300
    assert by_name["deployment.started"]["data"]["deployment"]["status"] == "running"


async def test_pipeline_and_alert_events(app, db, client, admin, add_repo, github, receiver):
    await _subscribe(client, admin, receiver.url, SEED_002)
    repo = (await add_repo())["webhook_secret"]
    await github("workflow_job", workflow_job("in_progress", job_id=1, name="build"), repo)
    failed = workflow_run("completed", run_id=30433642, conclusion="failure")
    await github("workflow_run", failed, repo)
    ok = workflow_run("completed", run_id=2, conclusion="success")
    await github("workflow_run", ok, repo)

    events = await _delivered(app, db, receiver, 5)
    names = sorted(e["event"] for e in events)
    assert names == sorted(
        [
            "pipeline.started",
            "pipeline.failed",
            "alert.created",
            "pipeline.completed",
            "alert.resolved",
        ]
    )
    by_name = {e["event"]: e["data"] for e in events}
    assert by_name["pipeline.failed"]["pipeline"]["status"] == "failed"
    alert = by_name["alert.created"]["alert"]
    assert (alert["name"], alert["status"], alert["severity"]) == (
        "CI 'CI' failed on acme/api@main",
        "active",
        "SEV2_HIGH",
    )
    assert alert["tags"]["repository"] == "acme/api"
    assert by_name["alert.resolved"]["alert"]["status"] == "resolved"
    assert by_name["alert.resolved"]["alert"]["id"] == alert["id"]
