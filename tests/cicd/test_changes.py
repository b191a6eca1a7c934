"""Change events: a deployment (or run, or push) of a service shows on the timeline of that
service's incidents opened within the repository's window after it, at the moment it happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.cicd.payloads import push, workflow_run

CHANGES = "/api/v1/ci/changes/"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _deploy(run_id: int, finished: datetime, **kw: Any) -> dict[str, Any]:
    return workflow_run(
        "completed",
        run_id=run_id,
        name="Deploy production",
        conclusion="success",
        started=_iso(finished - timedelta(minutes=3)),
        updated=_iso(finished),
        **kw,
    )


async def _open_incident(client, actor, service_id: str, title: str = "API 5xx") -> dict:
    response = await client.post(
        "/api/v1/incidents/",
        json={"title": title, "service": service_id, "severity": "SEV2_HIGH"},
        headers=actor.headers,
    )
    assert response.status_code == 201, response.text
    detail = await client.get(f"/api/v1/incidents/{response.json()['id']}/", headers=actor.headers)
    found: dict = detail.json()
    return found


def _changes(incident: dict) -> list[dict]:
    return [e for e in incident["timeline"] if e["type"] == "CHANGE"]


async def test_a_deployment_shows_on_a_later_incidents_timeline(
    client, admin, add_repo, add_service, github
):
    service = await add_service(admin, "api")
    secret = (await add_repo(service=service["id"]))["webhook_secret"]
    now = datetime.now(UTC)
    await github("workflow_run", _deploy(1, now - timedelta(minutes=4, seconds=10)), secret)
    await github("workflow_run", _deploy(2, now - timedelta(hours=2)), secret)  # outside

    incident = await _open_incident(client, admin, service["id"])

    [change] = _changes(incident)
    assert change["message"] == (
        "Deployed acme/api@6dcb09b by Alice (Deploy production), 4 minutes before"
    )
    assert change["data"]["change_kind"] == "deployment"
    assert change["data"]["sha"].startswith("6dcb09b")
    assert change["data"]["url"].endswith("/actions/runs/1")
    assert change["timestamp"] < incident["timeline"][-1]["timestamp"]
    assert incident["timeline"][0]["type"] == "CHANGE"  # in time order, before the opening


async def test_the_window_is_the_repositorys(client, admin, add_repo, add_service, github):
    service = await add_service(admin, "api")
    secret = (await add_repo(service=service["id"], change_window_minutes=180))["webhook_secret"]
    now = datetime.now(UTC)
    await github("workflow_run", _deploy(2, now - timedelta(hours=2)), secret)
    incident = await _open_incident(client, admin, service["id"])
    [change] = _changes(incident)
    assert change["message"].endswith(", 2 hours before")


async def test_changes_of_other_services_and_organizations_stay_off(
    client, admin, outsider, add_repo, add_service, github
):
    api = await add_service(admin, "api")
    web = await add_service(admin, "web")
    secret = (await add_repo(service=web["id"], full_name="acme/web"))["webhook_secret"]
    now = datetime.now(UTC)
    await github("workflow_run", _deploy(1, now, repo="acme/web"), secret)
    theirs = await add_service(outsider, "api")
    other = (await add_repo(actor=outsider, service=theirs["id"]))["webhook_secret"]
    await github("workflow_run", _deploy(9, now), other)

    assert _changes(await _open_incident(client, admin, api["id"])) == []
    assert len(_changes(await _open_incident(client, admin, web["id"]))) == 1


async def test_runs_and_pushes_are_changes_too(client, admin, add_repo, add_service, github):
    service = await add_service(admin, "api")
    secret = (await add_repo(service=service["id"]))["webhook_secret"]
    now = datetime.now(UTC)
    await github("push", push(), secret)  # GitHub's head commit timestamp: long ago
    fresh = push(sha="a" * 40)
    fresh["head_commit"]["timestamp"] = _iso(now - timedelta(minutes=10))
    await github("push", fresh, secret)
    await github("push", fresh, secret)  # redelivered: one change
    ci = workflow_run(
        "completed",
        run_id=5,
        conclusion="failure",
        started=_iso(now - timedelta(minutes=2)),
        updated=_iso(now - timedelta(minutes=1)),
    )
    await github("workflow_run", ci, secret)

    listed = await client.get(CHANGES, params={"service": service["id"]}, headers=admin.headers)
    assert [c["kind"] for c in listed.json()["results"]] == ["ci_run", "push", "push"]
    incident = await _open_incident(client, admin, service["id"])
    messages = [c["message"] for c in _changes(incident)]
    assert messages == [
        "Pushed acme/api@aaaaaaa to main by Alice: Fix the cache key, 10 minutes before",
        "CI run 'CI' on main of acme/api@6dcb09b by Alice: failed, 1 minute before",
    ]


async def test_a_repository_without_a_service_makes_no_changes(client, admin, add_repo, github):
    secret = (await add_repo())["webhook_secret"]
    await github("workflow_run", _deploy(1, datetime.now(UTC)), secret)
    assert (await client.get(CHANGES, headers=admin.headers)).json()["count"] == 0


async def test_the_changes_list_is_the_organizations(
    client, admin, outsider, add_repo, add_service, github
):
    service = await add_service(admin, "api")
    secret = (await add_repo(service=service["id"]))["webhook_secret"]
    await github("workflow_run", _deploy(1, datetime.now(UTC)), secret)
    assert (await client.get(CHANGES, headers=admin.headers)).json()["count"] == 1
    assert (await client.get(CHANGES, headers=outsider.headers)).json()["count"] == 0
    assert (await client.get(CHANGES)).status_code == 401
    deployments = await client.get(CHANGES, params={"kind": "deployment"}, headers=admin.headers)
    assert deployments.json()["count"] == 1
