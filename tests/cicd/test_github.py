"""GitHub webhooks: `workflow_run`, `workflow_job` and `push` in GitHub's documented shapes,
verified with `X-Hub-Signature-256`."""

from __future__ import annotations

from tests.cicd.conftest import GITHUB, PIPELINES, runs
from tests.cicd.payloads import REPO, SHA, body, github_signature, push, workflow_job, workflow_run
from tests.helpers import assert_error


class TestSignature:
    async def test_a_wrong_signature_is_401_and_stores_nothing(
        self, client, admin, add_repo, github
    ):
        await add_repo()
        payload = workflow_run("completed", conclusion="failure")
        response = await github("workflow_run", payload, "not-the-secret")
        assert_error(response, 401, "invalid_signature")
        assert (await runs(client, admin))["count"] == 0

    async def test_a_missing_signature_is_401(self, client, admin, add_repo):
        await add_repo()
        response = await client.post(
            GITHUB,
            content=body(workflow_run("requested")),
            headers={"X-GitHub-Event": "workflow_run", "Content-Type": "application/json"},
        )
        assert_error(response, 401, "invalid_signature")
        assert (await runs(client, admin))["count"] == 0

    async def test_an_unknown_repository_is_401_like_a_wrong_signature(self, add_repo, github):
        repo = await add_repo()
        payload = workflow_run("requested", repo="acme/other")
        response = await github("workflow_run", payload, repo["webhook_secret"])
        assert_error(response, 401, "invalid_signature")

    async def test_a_signature_over_other_bytes_is_refused(self, client, add_repo):
        repo = await add_repo()
        raw = body(workflow_run("requested"))
        tampered = raw.replace(b'"CI"', b'"XX"')
        response = await client.post(
            GITHUB,
            content=tampered,
            headers={
                "X-GitHub-Event": "workflow_run",
                "X-Hub-Signature-256": github_signature(repo["webhook_secret"], raw),
            },
        )
        assert_error(response, 401)

    async def test_the_same_repository_in_two_organizations_goes_to_the_signer(
        self, client, admin, outsider, add_repo, github
    ):
        await add_repo()
        theirs = await add_repo(actor=outsider)
        response = await github("workflow_run", workflow_run("requested"), theirs["webhook_secret"])
        assert response.status_code == 200, response.text
        assert (await runs(client, admin))["count"] == 0
        assert (await runs(client, outsider))["count"] == 1

    async def test_a_rotated_secret_replaces_the_old_one(self, client, admin, add_repo, github):
        repo = await add_repo()
        rotated = await client.post(
            f"/api/v1/ci/repositories/{repo['id']}/rotate-secret/", headers=admin.headers
        )
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["webhook_secret"]
        assert new != repo["webhook_secret"]
        old = await github("workflow_run", workflow_run("requested"), repo["webhook_secret"])
        assert_error(old, 401)
        assert (await github("workflow_run", workflow_run("requested"), new)).status_code == 200

    async def test_an_inactive_repository_is_refused(self, client, admin, add_repo, github):
        repo = await add_repo(is_active=False)
        response = await github("workflow_run", workflow_run("requested"), repo["webhook_secret"])
        assert_error(response, 401)


class TestWorkflowRun:
    async def test_requested_in_progress_completed_make_one_run(
        self, client, admin, add_repo, github
    ):
        secret = (await add_repo())["webhook_secret"]
        for action, conclusion in (
            ("requested", None),
            ("in_progress", None),
            ("completed", "success"),
        ):
            response = await github(
                "workflow_run", workflow_run(action, conclusion=conclusion), secret
            )
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "recorded"
        listed = await runs(client, admin)
        assert listed["count"] == 1
        [run] = listed["results"]
        assert run["repository"] == REPO
        assert run["branch"] == "main"
        assert run["status"] == "success"
        assert run["duration"] == 300
        assert run["started_at"] == "2026-12-07T10:00:05Z"
        assert run["finished_at"] == "2026-12-07T10:05:05Z"
        assert run["commit"]["sha"] == SHA
        assert run["commit"]["message"] == "Fix the cache key"
        assert run["commit"]["author"] == "alice@example.com"
        assert run["name"] == "CI"
        assert run["trigger"] == "push"
        assert run["url"].endswith("/actions/runs/30433642")

    async def test_a_redelivery_changes_nothing(self, client, admin, add_repo, github):
        secret = (await add_repo())["webhook_secret"]
        payload = workflow_run("completed", conclusion="failure")
        first = await github("workflow_run", payload, secret)
        again = await github("workflow_run", payload, secret)
        assert first.json()["pipeline_id"] == again.json()["pipeline_id"]
        listed = await runs(client, admin)
        assert listed["count"] == 1
        assert listed["results"][0]["status"] == "failed"

    async def test_a_late_in_progress_never_moves_a_finished_run_back(
        self, client, admin, add_repo, github
    ):
        secret = (await add_repo())["webhook_secret"]
        await github("workflow_run", workflow_run("completed", conclusion="success"), secret)
        await github("workflow_run", workflow_run("in_progress"), secret)
        [run] = (await runs(client, admin))["results"]
        assert run["status"] == "success"
        assert run["duration"] == 300

    async def test_a_rerun_starts_the_run_again(self, client, admin, add_repo, github):
        secret = (await add_repo())["webhook_secret"]
        await github("workflow_run", workflow_run("completed", conclusion="failure"), secret)
        await github("workflow_run", workflow_run("requested", attempt=2), secret)
        [run] = (await runs(client, admin))["results"]
        assert (run["status"], run["attempt"], run["finished_at"]) == ("queued", 2, None)

    async def test_conclusions_map_to_statuses(self, client, admin, add_repo, github):
        secret = (await add_repo())["webhook_secret"]
        for n, conclusion in enumerate(("cancelled", "timed_out", "skipped", "neutral")):
            payload = workflow_run("completed", run_id=100 + n, conclusion=conclusion)
            await github("workflow_run", payload, secret)
        listed = await runs(client, admin, ordering="created_at")
        assert [r["status"] for r in listed["results"]] == [
            "cancelled",
            "failed",
            "cancelled",
            "success",
        ]


class TestWorkflowJob:
    async def test_jobs_become_the_runs_stages(self, client, admin, add_repo, github):
        secret = (await add_repo())["webhook_secret"]
        await github("workflow_run", workflow_run("in_progress"), secret)
        build = {"job_id": 1, "name": "build"}
        await github("workflow_job", workflow_job("in_progress", **build), secret)
        await github(
            "workflow_job",
            workflow_job(
                "completed", **build, conclusion="success", completed="2026-12-07T10:02:10Z"
            ),
            secret,
        )
        await github(
            "workflow_job",
            workflow_job(
                "completed",
                job_id=2,
                name="test",
                conclusion="failure",
                started="2026-12-07T10:02:15Z",
                completed="2026-12-07T10:05:00Z",
            ),
            secret,
        )
        [run] = (await runs(client, admin))["results"]
        detail = await client.get(f"{PIPELINES}{run['id']}/", headers=admin.headers)
        assert detail.status_code == 200, detail.text
        stages = detail.json()["stages"]
        assert [(s["name"], s["status"], s["duration"]) for s in stages] == [
            ("build", "success", 120),
            ("test", "failed", 165),
        ]
        assert stages[0]["started_at"] == "2026-12-07T10:00:10Z"
        assert stages[0]["finished_at"] == "2026-12-07T10:02:10Z"
        # A redelivered (or late) job event changes nothing.
        await github("workflow_job", workflow_job("in_progress", **build), secret)
        again = (await client.get(f"{PIPELINES}{run['id']}/", headers=admin.headers)).json()
        assert again["stages"] == stages

    async def test_a_job_before_its_run_records_the_run(self, client, admin, add_repo, github):
        secret = (await add_repo())["webhook_secret"]
        await github("workflow_job", workflow_job("in_progress", job_id=7, name="lint"), secret)
        await github("workflow_run", workflow_run("completed", conclusion="success"), secret)
        listed = await runs(client, admin)
        assert listed["count"] == 1
        [run] = listed["results"]
        assert (run["status"], run["name"]) == ("success", "CI")
        detail = (await client.get(f"{PIPELINES}{run['id']}/", headers=admin.headers)).json()
        assert [s["name"] for s in detail["stages"]] == ["lint"]


class TestOtherEvents:
    async def test_ping_and_unhandled_events_are_ignored(self, client, admin, add_repo, github):
        secret = (await add_repo())["webhook_secret"]
        ping = {
            "zen": "Keep it logically awesome.",
            "hook_id": 1,
            "repository": {"full_name": REPO},
        }
        response = await github("ping", ping, secret)
        assert response.status_code == 200
        assert response.json()["status"] == "ignored"
        issue = {"action": "opened", "issue": {"number": 1}, "repository": {"full_name": REPO}}
        response = await github("issues", issue, secret)
        assert response.json()["ignored"] == "event 'issues' is not recorded"
        assert (await runs(client, admin))["count"] == 0

    async def test_a_deleted_branch_push_changes_nothing(self, client, admin, add_repo, github):
        secret = (await add_repo())["webhook_secret"]
        response = await github("push", push(deleted=True), secret)
        assert response.status_code == 200
        assert response.json()["status"] == "ignored"


class TestBadInput:
    async def test_malformed_json_is_400(self, client, add_repo):
        await add_repo()
        response = await client.post(
            GITHUB, content=b"{not json", headers={"X-GitHub-Event": "workflow_run"}
        )
        assert_error(response, 400, "malformed_json")

    async def test_a_payload_not_in_githubs_shape_is_400_and_stores_nothing(
        self, client, admin, add_repo, github
    ):
        secret = (await add_repo())["webhook_secret"]
        payload = workflow_run("completed", conclusion="success")
        del payload["workflow_run"]["id"]
        response = await github("workflow_run", payload, secret)
        body = assert_error(response, 400, "invalid_payload")
        assert "workflow_run.id" in body["message"]
        assert (await runs(client, admin))["count"] == 0


async def test_a_body_over_the_size_limit_is_413(client, add_repo):
    await add_repo()
    huge = b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = await client.post(GITHUB, content=huge, headers={"X-GitHub-Event": "push"})
    assert response.status_code == 413
