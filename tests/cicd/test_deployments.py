"""What is a deployment: workflow, job or stage names matching the repository's globs, jobs
deploying to an environment (GitLab builds, GitHub deployment statuses), or a deployment made
by another tool (a GitHub deployment without a workflow run)."""

from __future__ import annotations

from tests.cicd.conftest import runs
from tests.cicd.payloads import deployment_status, workflow_job, workflow_run


async def test_workflow_names_matching_the_globs_are_deployments(client, admin, add_repo, github):
    secret = (await add_repo(deployment_workflows=["deploy*", "*release*"]))["webhook_secret"]
    for n, name in enumerate(("CI", "Deploy to prod", "Nightly Release")):
        await github("workflow_run", workflow_run("in_progress", run_id=n, name=name), secret)
    found = await runs(client, admin, ordering="created_at")
    assert [r["is_deployment"] for r in found["results"]] == [False, True, True]
    assert (await runs(client, admin, is_deployment="true"))["count"] == 2


async def test_a_deploying_job_makes_its_run_a_deployment(client, admin, add_repo, github):
    secret = (await add_repo())["webhook_secret"]
    await github("workflow_run", workflow_run("in_progress"), secret)
    await github("workflow_job", workflow_job("in_progress", job_id=3, name="deploy-api"), secret)
    [run] = (await runs(client, admin))["results"]
    assert run["is_deployment"] is True


async def test_a_deployment_status_of_a_workflow_run_names_its_environment(
    client, admin, add_repo, github
):
    secret = (await add_repo())["webhook_secret"]
    ci = workflow_run("in_progress", name="CI")
    await github("workflow_run", ci, secret)
    status = deployment_status("in_progress", run=ci["workflow_run"])
    assert (await github("deployment_status", status, secret)).status_code == 200
    await github("workflow_run", workflow_run("completed", conclusion="success"), secret)
    listed = await runs(client, admin)
    assert listed["count"] == 1
    [run] = listed["results"]
    assert (run["is_deployment"], run["environment"], run["status"]) == (
        True,
        "production",
        "success",
    )


async def test_a_deployment_by_another_tool_is_a_run_of_its_own(
    client, admin, add_repo, add_service, github
):
    service = await add_service(admin, "api")
    secret = (await add_repo(service=service["id"]))["webhook_secret"]
    await github("deployment_status", deployment_status("in_progress"), secret)
    await github("deployment_status", deployment_status("success"), secret)
    [run] = (await runs(client, admin))["results"]
    assert run["name"] == "deploy to production"
    assert (run["status"], run["is_deployment"], run["duration"]) == ("success", True, 90)
    assert run["commit"]["author"] == "alice"
    changes = await client.get("/api/v1/ci/changes/", headers=admin.headers)
    [change] = changes.json()["results"]
    assert change["kind"] == "deployment"
    assert (
        change["summary"]
        == "Deployed acme/api@6dcb09b to production by alice (deploy to production)"
    )


async def test_environments_outside_the_globs_do_not_count(client, admin, add_repo, github):
    secret = (await add_repo(deployment_environments=["prod*"]))["webhook_secret"]
    await github("deployment_status", deployment_status("success", environment="staging"), secret)
    [run] = (await runs(client, admin))["results"]
    assert run["is_deployment"] is False
    inactive = deployment_status("inactive", deployment_id=2)
    response = await github("deployment_status", inactive, secret)
    assert response.json()["status"] == "ignored"
