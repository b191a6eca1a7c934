"""Auto-remediation end to end: the seed's Airflow failure callback arrives at the Airflow
webhook, is classified remediable, and IMAS clears the failed task through Airflow's REST API
(a local server speaking it), retrying with backoff; the incident ends resolved, or, every
attempt failing, `applied_not_solved` and still open for people."""

from __future__ import annotations

import asyncio

import pytest

from tests.alerts.factories import make_integration
from tests.alerts.payloads import SEED_AIRFLOW
from tests.automation import fake_remotes as fr
from tests.incidents.factories import make_service

DAG = SEED_AIRFLOW["dag_id"]
DAG_RUN = SEED_AIRFLOW["run_id"]
TASK = SEED_AIRFLOW["task_id"]


@pytest.fixture
async def setup(client, db, admin, fake):
    fake.task_order = [TASK, "load_warehouse"]
    fake.dag_runs[(DAG, DAG_RUN)] = {TASK: "failed", "load_warehouse": "upstream_failed"}
    await make_service(db, admin.org, name=DAG)
    hook = await make_integration(db, admin.org, kind="airflow", name="prod airflow")
    executor = await client.post(
        "/api/v1/automation/executors/",
        headers=admin.headers,
        json={
            "name": "prod-airflow",
            "kind": "airflow",
            "base_url": fake.base_url,
            "credentials": {"username": fr.AIRFLOW_USER, "password": fr.AIRFLOW_PASSWORD},
        },
    )
    assert executor.status_code == 201, executor.text
    policy = await client.post(
        "/api/v1/automation/policies/",
        headers=admin.headers,
        json={
            "name": "retry airflow tasks",
            "integration": str(hook.integration.id),
            "auto_remediate": True,
            "executor": executor.json()["id"],
        },
    )
    assert policy.status_code == 201, policy.text
    return hook


async def post_failure(client, hook):
    response = await client.post(
        "/api/v1/webhooks/airflow/", headers=hook.headers, json=SEED_AIRFLOW
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["error_classification"]["is_remediable"] is True
    assert body["error_classification"]["action"] == "retry_task"
    return body["ticket_id"]


async def settled(client, admin, short_id, seconds=15.0):
    """The incident once its remediation is over (succeeded or given up)."""
    async with asyncio.timeout(seconds):
        while True:
            incident = (
                await client.get(f"/api/v1/incidents/{short_id}/", headers=admin.headers)
            ).json()
            if incident["remediation_status"] in ("succeeded", "applied_not_solved"):
                return incident
            await asyncio.sleep(0.05)


async def runs_of(client, admin, short_id):
    response = await client.get(
        f"/api/v1/automation/runs/?incident={short_id}", headers=admin.headers
    )
    assert response.status_code == 200
    return response.json()["results"]


async def test_a_failed_task_is_cleared_after_one_failed_attempt_and_the_incident_resolved(
    client, admin, fake, setup, worker
):
    fake.airflow_failures = 1  # Airflow answers 503 once, then clears the task

    short_id = await post_failure(client, setup)
    incident = await settled(client, admin, short_id)

    assert incident["remediation_status"] == "succeeded"
    assert incident["remediation_attempts"] == 2
    async with asyncio.timeout(5):
        while incident["status"] != "RESOLVED":
            await asyncio.sleep(0.05)
            incident = (
                await client.get(f"/api/v1/incidents/{short_id}/", headers=admin.headers)
            ).json()
    assert incident["resolved_at"] is not None
    assert incident["kpis"]["mttr_seconds"] is not None
    assert "airflow_clear_task" in incident["resolution_note"]
    remediation = [e["message"] for e in incident["timeline"] if e["type"] == "REMEDIATION"]
    assert any("attempt 1 of 3" in m for m in remediation)
    assert any("attempt 2 of 3" in m for m in remediation)
    assert any("succeeded (attempt 2)" in m for m in remediation)
    clears = fake.of(f"/api/v1/dags/{DAG}/clearTaskInstances")
    assert len(clears) == 2
    assert clears[-1].body["dag_run_id"] == DAG_RUN
    assert clears[-1].body["task_ids"] == [TASK]
    assert clears[-1].body["dry_run"] is False
    assert fake.dag_runs[(DAG, DAG_RUN)] == {TASK: "none", "load_warehouse": "none"}
    [run] = await runs_of(client, admin, short_id)
    assert run["trigger"] == "auto"
    assert run["status"] == "succeeded"
    assert [
        t["status"] for t in (await client.get(run["url"], headers=admin.headers)).json()["tasks"]
    ] == ["failed", "succeeded"]
    logs = (await client.get(run["url"] + "logs/", headers=admin.headers)).json()["results"]
    text = "\n".join(line["message"] for line in logs)
    assert "HTTP 503" in text
    assert fr.AIRFLOW_PASSWORD not in text


async def test_every_attempt_failing_leaves_it_applied_not_solved_and_open(
    client, admin, fake, setup, worker
):
    fake.airflow_failures = 100

    short_id = await post_failure(client, setup)
    incident = await settled(client, admin, short_id)

    assert incident["remediation_status"] == "applied_not_solved"
    assert incident["remediation_attempts"] == 3
    assert incident["status"] == "TRIGGERED"  # people are paged as before
    assert len(fake.of(f"/api/v1/dags/{DAG}/clearTaskInstances")) == 3
    remediation = [e["message"] for e in incident["timeline"] if e["type"] == "REMEDIATION"]
    assert any("manual intervention required" in m for m in remediation)
    listed = await client.get(
        "/api/v1/incidents/?remediation_status=applied_not_solved", headers=admin.headers
    )
    assert [i["short_id"] for i in listed.json()["results"]] == [short_id]


async def test_a_repeat_of_the_failure_starts_no_second_remediation(client, admin, fake, setup):
    short_id = await post_failure(client, setup)
    again = await client.post("/api/v1/webhooks/airflow/", headers=setup.headers, json=SEED_AIRFLOW)
    assert again.json()["status"] == "duplicate"
    assert len(await runs_of(client, admin, short_id)) == 1


async def test_without_a_policy_nothing_runs(client, db, admin, fake):
    await make_service(db, admin.org, name=DAG)
    hook = await make_integration(db, admin.org, kind="airflow")
    short_id = await post_failure(client, hook)
    assert await runs_of(client, admin, short_id) == []
