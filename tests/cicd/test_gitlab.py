"""GitLab's Pipeline Hook, verified with `X-Gitlab-Token`: the pipeline, its commit and its
jobs grouped into stages; jobs deploying to an environment make it a deployment."""

from __future__ import annotations

from tests.cicd.conftest import PIPELINES, runs
from tests.cicd.payloads import SHA, gitlab_build, gitlab_pipeline
from tests.helpers import assert_error


def _finished_builds() -> list[dict]:
    done = "2026-12-07 10:01:10 UTC"
    return [
        gitlab_build(1, "build", "compile", "success", finished=done, duration=60.2),
        gitlab_build(
            2,
            "test",
            "unit",
            "success",
            started="2026-12-07 10:01:10 UTC",
            finished="2026-12-07 10:03:10 UTC",
            duration=120,
        ),
        gitlab_build(
            3,
            "test",
            "lint",
            "success",
            started="2026-12-07 10:01:10 UTC",
            finished="2026-12-07 10:02:00 UTC",
            duration=50,
        ),
        gitlab_build(
            4,
            "deploy",
            "deploy-prod",
            "success",
            started="2026-12-07 10:03:10 UTC",
            finished="2026-12-07 10:05:00 UTC",
            duration=110,
            environment={"name": "production", "action": "start", "deployment_tier": "production"},
        ),
    ]


async def test_a_pipeline_is_recorded_with_its_stages(client, admin, add_repo, gitlab):
    repo = await add_repo(provider="gitlab", full_name="acme/api")
    token = repo["webhook_secret"]
    running = gitlab_pipeline("running", builds=[gitlab_build(1, "build", "compile", "running")])
    assert (await gitlab(running, token)).status_code == 200
    done = gitlab_pipeline(
        "success", builds=_finished_builds(), finished_at="2026-12-07 10:05:00 UTC", duration=300
    )
    response = await gitlab(done, token)
    assert response.status_code == 200, response.text
    assert response.json()["pipeline_status"] == "success"
    listed = await runs(client, admin, repository="acme/api")
    assert listed["count"] == 1
    [run] = listed["results"]
    assert run["provider"] == "gitlab"
    assert (run["status"], run["duration"]) == ("success", 300)
    assert run["started_at"] == "2026-12-07T10:00:00Z"
    assert run["finished_at"] == "2026-12-07T10:05:00Z"
    assert run["commit"] == {
        "sha": SHA,
        "message": "Add the cache\n\nLonger body",
        "author": "bob@example.com",
        "author_name": "Bob Builder",
    }
    assert run["is_deployment"] is True
    assert run["environment"] == "production"
    detail = (await client.get(f"{PIPELINES}{run['id']}/", headers=admin.headers)).json()
    assert [(s["name"], s["status"], s["duration"]) for s in detail["stages"]] == [
        ("build", "success", 60),
        ("test", "success", 120),
        ("deploy", "success", 110),
    ]
    assert [j["name"] for j in detail["stages"][1]["jobs"]] == ["unit", "lint"]


async def test_a_wrong_token_is_401_and_stores_nothing(client, admin, add_repo, gitlab):
    await add_repo(provider="gitlab", full_name="acme/api")
    response = await gitlab(gitlab_pipeline("failed"), "wrong-token")
    assert_error(response, 401, "invalid_signature")
    assert (await runs(client, admin))["count"] == 0


async def test_a_github_secret_does_not_open_the_gitlab_receiver(client, add_repo, gitlab):
    github_repo = await add_repo(provider="github", full_name="acme/api")
    response = await gitlab(gitlab_pipeline("failed"), github_repo["webhook_secret"])
    assert_error(response, 401)


async def test_other_hooks_are_ignored(client, admin, add_repo, gitlab):
    token = (await add_repo(provider="gitlab", full_name="acme/api"))["webhook_secret"]
    job_hook = {"object_kind": "build", "project": {"path_with_namespace": "acme/api"}}
    response = await gitlab(job_hook, token, event="Job Hook")
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert (await runs(client, admin))["count"] == 0


async def test_a_failed_pipeline_and_its_redelivery(client, admin, add_repo, gitlab):
    token = (await add_repo(provider="gitlab", full_name="acme/api"))["webhook_secret"]
    failed = gitlab_pipeline(
        "failed",
        builds=[gitlab_build(1, "build", "compile", "failed", finished="2026-12-07 10:01:00 UTC")],
        finished_at="2026-12-07 10:01:00 UTC",
        duration=60,
    )
    await gitlab(failed, token)
    await gitlab(failed, token)
    listed = await runs(client, admin, status="failed")
    assert listed["count"] == 1
    assert listed["results"][0]["is_deployment"] is False


async def test_a_pipeline_not_in_gitlabs_shape_is_400(client, admin, add_repo, gitlab):
    token = (await add_repo(provider="gitlab", full_name="acme/api"))["webhook_secret"]
    payload = gitlab_pipeline("running")
    payload["object_attributes"]["created_at"] = "yesterday"
    response = await gitlab(payload, token)
    assert_error(response, 400, "invalid_payload")
    assert (await runs(client, admin))["count"] == 0
