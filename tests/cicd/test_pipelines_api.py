"""`/api/v1/ci/pipelines/` and `/{id}/`: seed 002's Pipeline Model, its filters, access."""

from __future__ import annotations

import uuid

from tests.cicd.conftest import PIPELINES, runs
from tests.cicd.payloads import workflow_run
from tests.factories import make_actor
from tests.helpers import assert_error

SEED_FIELDS = {"id", "repository", "branch", "status", "duration", "started_at", "finished_at"}


async def _three_runs(add_repo, github) -> None:
    api = (await add_repo())["webhook_secret"]
    web = (await add_repo(full_name="acme/web"))["webhook_secret"]
    await github("workflow_run", workflow_run("completed", run_id=1, conclusion="success"), api)
    await github(
        "workflow_run",
        workflow_run("completed", run_id=2, branch="feature/x", conclusion="failure"),
        api,
    )
    await github("workflow_run", workflow_run("in_progress", run_id=3, repo="acme/web"), web)


async def test_filters(client, admin, add_repo, github):
    await _three_runs(add_repo, github)
    assert (await runs(client, admin))["count"] == 3
    assert (await runs(client, admin, repository="acme/api"))["count"] == 2
    assert (await runs(client, admin, repository="ACME/WEB"))["count"] == 1
    assert (await runs(client, admin, repository="acme/none"))["count"] == 0
    by_branch = await runs(client, admin, branch="feature/x")
    assert [r["status"] for r in by_branch["results"]] == ["failed"]
    assert (await runs(client, admin, status="running"))["results"][0]["repository"] == "acme/web"
    both = await runs(client, admin, repository="acme/api", branch="main", status="success")
    assert both["count"] == 1
    page = await runs(client, admin, page_size=2, ordering="-duration")
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["next"]


async def test_the_seed_shape(client, admin, add_repo, github):
    await _three_runs(add_repo, github)
    [run] = (await runs(client, admin, repository="acme/api", branch="main"))["results"]
    assert set(run) >= SEED_FIELDS
    assert set(run["commit"]) >= {"sha", "message", "author"}
    detail = await client.get(f"{PIPELINES}{run['id']}/", headers=admin.headers)
    assert detail.status_code == 200
    assert SEED_FIELDS | {"commit", "stages"} <= set(detail.json())
    assert detail.json()["stages"] == []


async def test_bad_filters_are_400(client, admin):
    assert_error(await client.get(PIPELINES, params={"status": "done"}, headers=admin.headers), 400)
    ordering = {"ordering": "secret"}
    assert_error(await client.get(PIPELINES, params=ordering, headers=admin.headers), 400)


async def test_access(client, admin, outsider, db, add_repo, github):
    await _three_runs(add_repo, github)
    [run] = (await runs(client, admin, repository="acme/api", branch="main"))["results"]
    url = f"{PIPELINES}{run['id']}/"
    assert_error(await client.get(PIPELINES), 401)
    assert_error(await client.get(url), 401)
    viewer = await make_actor(db, org=admin.org, role="viewer")
    assert (await client.get(url, headers=viewer.headers)).status_code == 200
    no_scope = await make_actor(db, org=admin.org, role="admin", scopes=["incident:read"])
    assert_error(await client.get(PIPELINES, headers=no_scope.headers), 403)
    assert_error(await client.get(url, headers=outsider.headers), 404)
    assert (await runs(client, outsider))["count"] == 0
    missing = f"{PIPELINES}{uuid.uuid4()}/"
    assert_error(await client.get(missing, headers=admin.headers), 404)
