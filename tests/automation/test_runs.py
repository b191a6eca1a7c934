"""`/api/v1/automation/runs/` on its own (no incident): starting an `http_request` run, reading
it, its log, filters; the SSRF guard on absolute URLs; tenancy."""

from __future__ import annotations

from tests.automation.fake_service import TOKEN
from tests.automation.helpers import until
from tests.factories import make_actor
from tests.helpers import assert_error


async def add_http_executor(client, actor, svc):
    response = await client.post(
        "/api/v1/automation/executors/",
        headers=actor.headers,
        json={
            "name": "svc",
            "kind": "http",
            "base_url": svc.base_url,
            "credentials": {"token": TOKEN},
        },
    )
    assert response.status_code == 201, response.text


async def start(client, actor, **body):
    return await client.post("/api/v1/automation/runs/", headers=actor.headers, json=body)


async def test_a_run_calls_the_executor_and_keeps_its_log(client, admin, svc, worker):
    await add_http_executor(client, admin, svc)

    response = await start(
        client,
        admin,
        action="http_request",
        executor="svc",
        parameters={"path": "/ops/restart", "headers": {"X-Run": "{{ run.id }}"}},
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["incident"] is None
    assert created["status"] == "queued"
    run = await until(client, admin, created["url"], lambda r: r["status"] == "succeeded")
    assert run["result"]["status_code"] == 202
    assert svc.restarts[0]["idempotency_key"] == f"{run['id']}:1"
    logs = await client.get(created["url"] + "logs/?limit=1&offset=1", headers=admin.headers)
    assert logs.status_code == 200
    page = logs.json()
    assert page["limit"] == 1
    assert page["offset"] == 1
    assert len(page["results"]) == 1
    assert page["count"] >= 3
    listed = await client.get(
        "/api/v1/automation/runs/?action=http_request&status=succeeded", headers=admin.headers
    )
    assert [r["id"] for r in listed.json()["results"]] == [run["id"]]
    none = await client.get("/api/v1/automation/runs/?status=failed", headers=admin.headers)
    assert none.json()["count"] == 0


async def test_an_absolute_url_to_a_private_address_is_refused_when_it_runs(
    client, admin, svc, worker
):
    response = await start(
        client,
        admin,
        action="http_request",
        parameters={"url": svc.base_url + "/ops/restart"},
        max_retries=1,
    )
    run = await until(client, admin, response.json()["url"], lambda r: r["status"] == "failed")
    assert "private" in run["error"] or "loopback" in run["error"]
    assert svc.calls == []


async def test_parameters_are_checked_before_anything_runs(client, admin):
    neither = await start(client, admin, action="http_request", parameters={"path": "/x"})
    assert_error(neither, 400)
    unknown_executor = await start(
        client, admin, action="http_request", executor="nope", parameters={"path": "/x"}
    )
    assert_error(unknown_executor, 400)
    extra = await start(
        client, admin, action="http_request", parameters={"url": "https://x.example", "bogus": 1}
    )
    assert_error(extra, 400)
    assert "parameters.bogus" in extra.json()["details"]


async def test_the_shell_action_is_for_admins_only(client, db, admin):
    responder = await make_actor(db, admin.org, role="responder")
    response = await start(
        client, responder, action="shell", parameters={"command": ["/bin/echo", "hi"]}
    )
    assert_error(response, 403)


async def test_another_organizations_run_is_a_404(client, admin, outsider, svc):
    await add_http_executor(client, admin, svc)
    created = (
        await start(client, admin, action="http_request", executor="svc", parameters={"path": "/"})
    ).json()
    for path in ("", "logs/"):
        assert_error(await client.get(created["url"] + path, headers=outsider.headers), 404)
    for verb in ("cancel/", "approve/", "confirm/"):
        assert_error(await client.post(created["url"] + verb, headers=outsider.headers), 404)
    listed = await client.get("/api/v1/automation/runs/", headers=outsider.headers)
    assert listed.json()["count"] == 0


async def test_without_credentials_it_is_a_401(client):
    assert_error(await client.get("/api/v1/automation/runs/"), 401)


async def test_a_run_whose_job_died_is_failed_with_the_reason(client, db, admin, svc):
    from imas.automation.jobs import run_job_died
    from imas.jobs.store import Dead

    await add_http_executor(client, admin, svc)
    created = (
        await start(client, admin, action="http_request", executor="svc", parameters={"path": "/"})
    ).json()
    async with db.transaction() as session:
        await run_job_died(
            session,
            Dead(
                id=created["id"],
                kind="automation.run",
                payload={"run_id": created["id"], "step": 1},
                organization_id=admin.org.id,
                attempts=5,
                started_at=None,
                error="OperationalError: database is locked",
            ),
        )

    run = (await client.get(created["url"], headers=admin.headers)).json()
    assert run["status"] == "failed"
    assert "database is locked" in run["error"]
