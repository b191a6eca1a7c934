"""A runbook executed as a run: steps in order, an action step calling a service through an
executor, a step that waits for a person's confirmation; and what the run's events tell the
other systems (webhooks, the live stream)."""

from __future__ import annotations

import json

from imas.events import EventType
from imas.events.bus import Event
from imas.realtime.messages import message
from tests.automation.fake_service import TOKEN
from tests.automation.helpers import SEED_BODY, add_executor, open_incident, until
from tests.helpers import assert_error


async def make_runbook(client, actor, service, executor_name):
    restart = {
        "action": "http_request",
        "parameters": {"executor": executor_name, "path": "/ops/restart", "method": "POST"},
    }
    response = await client.post(
        "/api/v1/runbooks/",
        headers=actor.headers,
        json={
            "title": "Restart the API",
            "service": str(service.id),
            "steps": [
                {"order": 1, "title": "Look at the error rate", "command": "open the dashboard"},
                {
                    "order": 2,
                    "title": "Restart",
                    "command": json.dumps(restart),
                    "requires_confirmation": True,
                },
                {"order": 3, "title": "Watch the error rate fall", "command": "wait 5 minutes"},
            ],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_a_runbook_waits_for_confirmation_then_runs_its_action_step(
    client, admin, svc, api_service, worker
):
    executor = await client.post(
        "/api/v1/automation/executors/",
        headers=admin.headers,
        json={
            "name": "api-http",
            "kind": "http",
            "base_url": svc.base_url,
            "credentials": {"token": TOKEN},
        },
    )
    assert executor.status_code == 201, executor.text
    runbook_id = await make_runbook(client, admin, api_service, "api-http")
    short_id = await open_incident(client, admin, api_service)

    response = await client.post(
        f"/api/v1/incidents/{short_id}/remediate/",
        headers=admin.headers,
        json={"action": "runbook", "parameters": {"runbook_id": runbook_id}},
    )

    assert response.status_code == 202, response.text
    run_url = response.json()["run_url"]
    run = await until(client, admin, run_url, lambda r: r["status"] == "waiting")
    assert run["waiting_for"] == "confirmation"
    assert run["result"]["waiting_at"] == 2
    assert svc.restarts == []  # nothing runs before a person says so

    confirmed = await client.post(run_url + "confirm/", headers=admin.headers)
    assert confirmed.status_code == 200, confirmed.text
    run = await until(client, admin, run_url, lambda r: r["status"] == "succeeded")

    assert len(svc.restarts) == 1
    steps = run["result"]["steps"]
    assert [s["order"] for s in steps] == [1, 2, 3]
    assert steps[1]["ran"] == "http_request"
    assert steps[1]["status_code"] == 202
    logs = (await client.get(run_url + "logs/", headers=admin.headers)).json()["results"]
    text = [line["message"] for line in logs]
    assert any("waits for confirmation" in t for t in text)
    assert any(f"confirmed by {admin.user.username}" in t for t in text)
    assert TOKEN not in json.dumps(logs)
    assert_error(await client.post(run_url + "confirm/", headers=admin.headers), 409)


async def test_a_missing_runbook_is_a_400(client, admin, api_service):
    short_id = await open_incident(client, admin, api_service)
    response = await client.post(
        f"/api/v1/incidents/{short_id}/remediate/",
        headers=admin.headers,
        json={
            "action": "runbook",
            "parameters": {"runbook_id": "7d3c1b9e-5f7a-4d0e-9a59-3c2b1a0f9e8d"},
        },
    )
    assert_error(response, 400)


async def test_a_runbook_step_cannot_run_a_shell(client, admin, api_service):
    response = await client.post(
        "/api/v1/runbooks/",
        headers=admin.headers,
        json={
            "title": "Dangerous",
            "steps": [
                {
                    "order": 1,
                    "title": "x",
                    "command": json.dumps(
                        {"action": "shell", "parameters": {"command": ["/bin/true"]}}
                    ),
                }
            ],
        },
    )
    runbook_id = response.json()["id"]
    short_id = await open_incident(client, admin, api_service)
    refused = await client.post(
        f"/api/v1/incidents/{short_id}/remediate/",
        headers=admin.headers,
        json={"action": "runbook", "parameters": {"runbook_id": runbook_id}},
    )
    assert_error(refused, 400)
    assert "shell" in refused.json()["message"]


async def test_remediation_events_reach_webhook_subscribers_and_the_live_stream(
    client, db, admin, svc, api_service, worker
):
    from sqlalchemy import select

    from imas.db import acting_in
    from imas.notify.models import WebhookDelivery

    subscribed = await client.post(
        "/api/v1/webhook-subscriptions/",
        headers=admin.headers,
        json={
            "name": "itsm",
            "url": "https://itsm.example.com/hooks",
            "events": ["REMEDIATION_STARTED", "REMEDIATION_SUCCEEDED", "REMEDIATION_FAILED"],
        },
    )
    assert subscribed.status_code == 201, subscribed.text
    await add_executor(client, admin, svc, api_service)
    short_id = await open_incident(client, admin, api_service)

    response = await client.post(
        f"/api/v1/incidents/{short_id}/remediate/", headers=admin.headers, json=SEED_BODY
    )
    assert response.status_code == 200, response.text

    async with db.read_sessions() as session:
        with acting_in(session, admin.org.id):
            deliveries = (await session.scalars(select(WebhookDelivery))).all()
    kinds = sorted(d.event_type for d in deliveries)
    assert kinds == ["REMEDIATION_STARTED", "REMEDIATION_SUCCEEDED"]
    done = next(d for d in deliveries if d.event_type == "REMEDIATION_SUCCEEDED")
    data = done.payload["data"]
    assert data["short_id"] == short_id
    assert data["remediation_status"] == "succeeded"
    assert data["run"]["action"] == "restart_service"
    live = message(
        Event(
            id=done.event_id,
            type=EventType.REMEDIATION_SUCCEEDED,
            organization_id=admin.org.id,
            occurred_at=done.created_at,
            data=data,
        )
    )
    assert live["event"] == "remediation_update"
    assert live["ticket_id"] == short_id
    assert live["remediation_status"] == "succeeded"
