"""Real `ansible-playbook` runs through the API: a playbook failing on both hosts (followed
live over `/ws/runs/{id}/`), a playbook run as an incident's remediation, and a stop request
killing a running playbook."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from tests.automation.helpers import incident, open_incident, until
from tests.incidents.factories import make_service
from tests.realtime.test_live import served  # noqa: F401  (IMAS on a real socket)

FINAL = ("succeeded", "failed", "cancelled")


async def execute(client, actor, name, **body):
    return await client.post(
        f"/api/v1/ansible/playbooks/{name}/execute/", headers=actor.headers, json=body
    )


async def receive_all(ws) -> list[dict[str, Any]]:
    """Every message until the server closes the connection."""
    messages = []
    async with asyncio.timeout(60):
        async for raw in ws:
            messages.append(json.loads(raw))
    return messages


async def test_a_playbook_failing_on_both_hosts_is_reported_per_host_and_live(
    client,
    admin,
    served,  # noqa: F811
    ansible_worker_factory,
):
    response = await execute(
        client,
        admin,
        "deploy.yml",
        hosts=["web-1", "web-2"],
        variables={"app_version": "1.2.3"},
    )

    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "running"
    assert accepted["message"] == "Playbook execution started"
    execution_id = accepted["execution_id"]
    assert accepted["websocket_url"] == f"/ws/runs/{execution_id}/"
    url = f"ws://127.0.0.1:{served.port}{accepted['websocket_url']}?token={admin.token}"
    async with connect(url) as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert first["type"] == "status_update"
        assert first["data"]["status"] == "queued"
        async with ansible_worker_factory():
            messages = await receive_all(ws)

    statuses = [m["data"]["status"] for m in messages if m["type"] == "status_update"]
    assert statuses[0] == "running"
    assert statuses[-1] == "failed"
    lines = [m["data"]["message"] for m in messages if m["type"] == "log"]
    assert any(line.startswith("TASK [Break]") for line in lines)
    assert "failed: [web-1] Break: boom on web-1" in lines
    assert "failed: [web-2] Break: boom on web-2" in lines
    seqs = [m["data"]["seq"] for m in messages if m["type"] == "log"]
    assert seqs == sorted(set(seqs))

    detail = (await client.get(accepted["url"], headers=admin.headers)).json()
    assert detail["status"] == "failed"
    assert detail["run_status"] == "failed"
    assert detail["playbook"] == "deploy.yml"
    assert detail["hosts"] == ["web-1", "web-2"]
    assert detail["variables"] == ["app_version"]
    assert (detail["tasks_total"], detail["tasks_successful"], detail["tasks_failed"]) == (4, 2, 2)
    assert detail["error"] == "deploy.yml failed on web-1, web-2: 2 failed task(s)"
    for host in ("web-1", "web-2"):
        result = detail["host_results"][host]
        assert result["status"] == "failed"
        assert (result["ok"], result["failed"]) == (1, 1)
        failed = [t for t in result["tasks"] if t["status"] == "failed"]
        assert failed == [{"task": "Break", "status": "failed", "message": f"boom on {host}"}]
    tasks = detail["task_results"]
    assert [t["name"] for t in tasks] == ["Say hello", "Break"]
    assert tasks[0]["hosts"]["web-1"] == {"status": "ok", "message": "hello web-1 version 1.2.3"}
    assert detail["duration"] > 0

    logs = (await client.get(accepted["logs_url"] + "?limit=1000", headers=admin.headers)).json()
    stored = [line["message"] for line in logs["results"]]
    assert "failed: [web-1] Break: boom on web-1" in stored
    assert logs["count"] == len(stored) >= len(lines)

    history = await client.get(
        "/api/v1/ansible/playbooks/?playbook=deploy&status=failed", headers=admin.headers
    )
    assert history.status_code == 200
    page = history.json()
    assert page["count"] == 1
    assert page["executions"] == page["results"]
    row = page["results"][0]
    assert row["id"] == execution_id
    assert (row["status"], row["tasks_total"], row["tasks_failed"]) == ("failed", 4, 2)
    for query in (
        "status=success",
        "playbook=restart.yml",
        "executed_at__gte=2999-01-01T00:00:00Z",
    ):
        other = await client.get(f"/api/v1/ansible/playbooks/?{query}", headers=admin.headers)
        assert other.json()["count"] == 0, query


async def test_a_playbook_runs_as_an_incidents_remediation(client, db, admin, ansible_worker):
    service = await make_service(db, admin.org, name="web")
    short_id = await open_incident(client, admin, service)

    response = await client.post(
        f"/api/v1/incidents/{short_id}/remediate/",
        headers=admin.headers,
        json={
            "action": "ansible_playbook",
            "parameters": {
                "playbook": "restart.yml",
                "hosts": ["web-1", "web-2"],
                "variables": {"service": "{{ lookup('pipe', 'echo INJECTED') }}"},
            },
            "resolve_incident": True,
        },
    )

    assert response.status_code in (200, 202), response.text
    run_id = response.json()["run_id"]
    url = f"/api/v1/ansible/executions/{run_id}/"
    done = await until(client, admin, url, lambda e: e["run_status"] in FINAL, seconds=60)
    assert done["status"] == "success", done["error"]
    assert (done["tasks_total"], done["tasks_successful"], done["tasks_failed"]) == (2, 2, 0)
    assert done["incident"]["short_id"] == short_id
    message = done["host_results"]["web-2"]["tasks"][0]["message"]
    assert message == "restarting {{ lookup('pipe', 'echo INJECTED') }} on web-2"  # data, never run
    after = await incident(client, admin, short_id)
    assert after["remediation_status"] == "succeeded"
    assert after["status"] == "RESOLVED"
    listed = await client.get(
        f"/api/v1/ansible/playbooks/?incident={short_id}", headers=admin.headers
    )
    assert [e["id"] for e in listed.json()["results"]] == [run_id]


def running(marker: str) -> list[int]:
    """The processes whose command line names `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


async def test_a_stop_request_kills_a_running_playbook(
    client, admin, ansible_worker, ansible_settings
):
    response = await execute(client, admin, "slow", hosts=["web-1"])
    assert response.status_code == 202, response.text
    url = response.json()["url"]
    await until(
        client,
        admin,
        url + "logs/",
        lambda page: any(line["message"].startswith("TASK [Wait]") for line in page["results"]),
        seconds=30,
    )

    stopped = await client.post(url + "cancel/", headers=admin.headers)

    assert stopped.status_code == 200, stopped.text
    done = await until(client, admin, url, lambda e: e["run_status"] in FINAL, seconds=15)
    assert done["run_status"] == "cancelled"
    assert done["playbook"] == "slow.yaml"
    assert running(str(ansible_settings.ansible_inventory)) == []  # workers included
