"""A failed run on the default branch raises an alert through the intake (when the repository
asks for it), which opens an incident on the repository's service; the next success of that
workflow on that branch resolves it."""

from __future__ import annotations

from tests.cicd.payloads import workflow_run

ALERTS = "/api/v1/alerts/"


async def _alerts(client, actor) -> list[dict]:
    response = await client.get(ALERTS, headers=actor.headers)
    assert response.status_code == 200, response.text
    found: list[dict] = response.json()["results"]
    return found


async def test_a_failure_on_the_default_branch_opens_and_the_next_success_resolves(
    client, admin, add_repo, add_service, github
):
    service = await add_service(admin, "api")
    secret = (await add_repo(service=service["id"], alert_severity="SEV1_CRITICAL"))[
        "webhook_secret"
    ]
    failed = workflow_run("completed", run_id=1, conclusion="failure")
    await github("workflow_run", failed, secret)
    await github("workflow_run", failed, secret)  # redelivered: no second alert, no repeat

    [alert] = await _alerts(client, admin)
    assert alert["source"] == "cicd"
    assert alert["status"] == "firing"
    assert alert["severity"] == "SEV1_CRITICAL"
    assert alert["title"] == "CI 'CI' failed on acme/api@main"
    assert alert["labels"]["repository"] == "acme/api"
    assert alert["labels"]["branch"] == "main"
    assert alert["occurrence_count"] == 1
    assert alert["service"]["name"] == "api"
    assert alert["integration"]["name"] == "IMAS CI/CD"
    incident_id = alert["incident"]["id"]
    incident = (await client.get(f"/api/v1/incidents/{incident_id}/", headers=admin.headers)).json()
    assert incident["status"] == "TRIGGERED"
    assert incident["service"]["name"] == "api"
    # The failed run itself is a change of the service, on the incident's timeline.
    assert any(e["type"] == "CHANGE" for e in incident["timeline"])

    other = workflow_run("completed", run_id=2, conclusion="failure")
    await github("workflow_run", other, secret)  # fails again: counted on the same alert
    [alert] = await _alerts(client, admin)
    assert alert["occurrence_count"] == 2

    ok = workflow_run("completed", run_id=3, conclusion="success")
    await github("workflow_run", ok, secret)
    [alert] = await _alerts(client, admin)
    assert alert["status"] == "resolved"
    incident = (await client.get(f"/api/v1/incidents/{incident_id}/", headers=admin.headers)).json()
    assert incident["status"] in ("MITIGATED", "RESOLVED")


async def test_no_alert_off_the_default_branch_or_when_turned_off(client, admin, add_repo, github):
    secret = (await add_repo())["webhook_secret"]
    branch = workflow_run("completed", run_id=1, branch="feature/x", conclusion="failure")
    await github("workflow_run", branch, secret)
    cancelled = workflow_run("completed", run_id=2, conclusion="cancelled")
    await github("workflow_run", cancelled, secret)
    assert await _alerts(client, admin) == []

    quiet = (await add_repo(full_name="acme/quiet", alert_on_default_branch_failure=False))[
        "webhook_secret"
    ]
    failed = workflow_run("completed", run_id=3, repo="acme/quiet", conclusion="failure")
    await github("workflow_run", failed, quiet)
    assert await _alerts(client, admin) == []


async def test_a_repository_without_a_service_alerts_on_the_default_one(
    client, admin, add_repo, github
):
    secret = (await add_repo(default_branch="trunk"))["webhook_secret"]
    failed = workflow_run("completed", run_id=1, branch="trunk", conclusion="timed_out")
    await github("workflow_run", failed, secret)
    [alert] = await _alerts(client, admin)
    assert alert["service"]["name"] == "ci-cd"
    assert alert["incident"] is not None
