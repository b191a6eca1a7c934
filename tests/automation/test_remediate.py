"""`POST /api/v1/incidents/{id}/remediate/` as a user sends it (seed 001 "Execute
Remediation"), with a worker running beside IMAS, against a service's own restart endpoint."""

from __future__ import annotations

import asyncio

from tests.automation.fake_service import TOKEN
from tests.automation.helpers import SEED_BODY, add_executor, incident, open_incident, until
from tests.factories import make_actor
from tests.helpers import assert_error


class TestRemediate:
    async def test_the_seeds_example_restarts_the_service_and_answers_its_result(
        self, client, admin, svc, api_service, worker
    ):
        await add_executor(client, admin, svc, api_service)
        short_id = await open_incident(client, admin, api_service)

        response = await client.post(
            f"/api/v1/incidents/{short_id}/remediate/", headers=admin.headers, json=SEED_BODY
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["message"] == "Remediation executed"
        result = body["result"]
        assert result["success"] is True
        assert result["action"] == "restart_service"
        assert result["execution_time"].startswith("PT")
        assert result["details"] == {
            "service_name": "api-service",
            "environment": "production",
            "previous_status": "unhealthy",
            "current_status": "healthy",
            "health_check_passed": True,
        }
        assert any("Initiating service restart" in line for line in result["logs"])
        assert any(line.endswith("Health check passed") for line in result["logs"])
        assert all(line[:4].isdigit() and "Z: " in line for line in result["logs"])
        assert svc.restarts == [
            {"idempotency_key": f"{body['run_id']}:1", "environment": "production"}
        ]
        seen = await incident(client, admin, short_id)
        assert seen["remediation_status"] == "succeeded"
        assert seen["remediation_attempts"] == 1
        assert seen["status"] == "TRIGGERED"  # not asked to resolve it
        entries = [e["message"] for e in seen["timeline"] if e["type"] == "REMEDIATION"]
        assert any("requested by" in m for m in entries)
        assert any("succeeded" in m for m in entries)

    async def test_a_failing_restart_is_retried_then_reported_failed(
        self, client, admin, svc, api_service, slow_retry_worker
    ):
        await add_executor(client, admin, svc, api_service)
        short_id = await open_incident(client, admin, api_service)
        svc.failures = 5

        response = await client.post(
            f"/api/v1/incidents/{short_id}/remediate/",
            headers=admin.headers,
            json={**SEED_BODY, "max_retries": 2},
        )

        assert response.status_code == 202, response.text  # retrying: no use waiting
        run_url = response.json()["run_url"]
        run = await until(client, admin, run_url, lambda r: r["status"] == "failed")
        assert run["attempt"] == 2
        assert [t["status"] for t in run["tasks"]] == ["failed", "failed"]
        assert "HTTP 500" in run["error"]
        assert len(svc.restarts) == 2
        seen = await incident(client, admin, short_id)
        assert seen["remediation_status"] == "applied_not_solved"
        assert seen["remediation_attempts"] == 2
        assert seen["status"] == "TRIGGERED"
        logs = (await client.get(run_url + "logs/?level=error", headers=admin.headers)).json()
        assert logs["count"] >= 2
        assert all(line["level"] == "error" for line in logs["results"])

    async def test_a_dry_run_calls_nothing(self, client, admin, svc, api_service, worker):
        await add_executor(client, admin, svc, api_service)
        short_id = await open_incident(client, admin, api_service)

        response = await client.post(
            f"/api/v1/incidents/{short_id}/remediate/",
            headers=admin.headers,
            json={**SEED_BODY, "dry_run": True},
        )

        assert response.status_code == 200, response.text
        details = response.json()["result"]["details"]
        assert details["dry_run"] is True
        assert details["plan"]["restart"] == f"POST {svc.base_url}/ops/restart"
        assert TOKEN not in response.text
        assert svc.calls == []
        assert (await incident(client, admin, short_id))["remediation_status"] is None

    async def test_without_waiting_it_answers_202_with_the_run_to_follow(
        self, client, admin, svc, api_service, worker
    ):
        await add_executor(client, admin, svc, api_service)
        short_id = await open_incident(client, admin, api_service)

        response = await client.post(
            f"/api/v1/incidents/{short_id}/remediate/?wait=false",
            headers=admin.headers,
            json=SEED_BODY,
        )

        assert response.status_code == 202
        body = response.json()
        assert body["message"] == "Remediation started"
        run = await until(client, admin, body["run_url"], lambda r: r["status"] == "succeeded")
        assert run["incident"]["short_id"] == short_id
        assert run["result"]["health_check_passed"] is True

    async def test_a_policy_holds_runs_for_an_admins_approval(
        self, client, db, admin, svc, api_service, worker
    ):
        await add_executor(client, admin, svc, api_service)
        policy = await client.post(
            "/api/v1/automation/policies/",
            headers=admin.headers,
            json={
                "name": "sev1 needs approval",
                "severities": ["SEV1_CRITICAL"],
                "require_approval": True,
            },
        )
        assert policy.status_code == 201, policy.text
        short_id = await open_incident(client, admin, api_service, severity="SEV1_CRITICAL")
        responder = await make_actor(db, admin.org, role="responder")

        response = await client.post(
            f"/api/v1/incidents/{short_id}/remediate/", headers=responder.headers, json=SEED_BODY
        )

        assert response.status_code == 202
        assert response.json()["status"] == "pending_approval"
        run_url = response.json()["run_url"]
        await asyncio.sleep(0.3)
        assert svc.calls == []
        refused = await client.post(run_url + "approve/", headers=responder.headers)
        assert_error(refused, 403)
        approved = await client.post(run_url + "approve/", headers=admin.headers)
        assert approved.status_code == 200, approved.text
        run = await until(client, admin, run_url, lambda r: r["status"] == "succeeded")
        assert run["approved_by_id"] == str(admin.user.id)
        again = await client.post(run_url + "approve/", headers=admin.headers)
        assert_error(again, 409)

    async def test_a_run_is_cancelled_before_it_starts(self, client, db, admin, svc, api_service):
        await add_executor(client, admin, svc, api_service)
        short_id = await open_incident(client, admin, api_service)
        response = await client.post(
            f"/api/v1/incidents/{short_id}/remediate/?wait=false",
            headers=admin.headers,
            json=SEED_BODY,
        )  # no worker: it stays queued
        run_url = response.json()["run_url"]

        cancelled = await client.post(run_url + "cancel/", headers=admin.headers)

        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        assert_error(await client.post(run_url + "cancel/", headers=admin.headers), 409)


class TestBadInput:
    async def test_an_unknown_action_is_a_400_naming_the_known_ones(
        self, client, admin, api_service
    ):
        short_id = await open_incident(client, admin, api_service)
        response = await client.post(
            f"/api/v1/incidents/{short_id}/remediate/",
            headers=admin.headers,
            json={"action": "reboot_the_world", "parameters": {}},
        )
        assert_error(response, 400)
        assert "restart_service" in response.json()["message"]

    async def test_parameters_failing_the_actions_schema_are_a_400(
        self, client, admin, svc, api_service
    ):
        await add_executor(client, admin, svc, api_service)
        short_id = await open_incident(client, admin, api_service)
        response = await client.post(
            f"/api/v1/incidents/{short_id}/remediate/",
            headers=admin.headers,
            json={"action": "restart_service", "parameters": {"service": "api-service"}},
        )
        assert_error(response, 400)
        assert "parameters.service_name" in response.json()["details"]

    async def test_a_service_without_an_executor_is_a_400(self, client, admin, api_service):
        short_id = await open_incident(client, admin, api_service)
        response = await client.post(
            f"/api/v1/incidents/{short_id}/remediate/", headers=admin.headers, json=SEED_BODY
        )
        assert_error(response, 400)
        assert "no executor restarts the service" in response.json()["message"]

    async def test_without_the_automation_scope_it_is_a_403(self, client, db, admin, api_service):
        short_id = await open_incident(client, admin, api_service)
        viewer = await make_actor(db, admin.org, role="viewer")
        limited = await make_actor(
            db, admin.org, role="admin", scopes=["incident:read", "incident:write"]
        )
        for actor in (viewer, limited):
            response = await client.post(
                f"/api/v1/incidents/{short_id}/remediate/", headers=actor.headers, json=SEED_BODY
            )
            assert_error(response, 403)

    async def test_another_organizations_incident_is_a_404(
        self, client, admin, outsider, api_service
    ):
        short_id = await open_incident(client, admin, api_service)
        response = await client.post(
            f"/api/v1/incidents/{short_id}/remediate/", headers=outsider.headers, json=SEED_BODY
        )
        assert_error(response, 404)

    async def test_more_than_five_a_minute_is_a_429(self, make_settings, db, admin, api_service):
        from imas.api.app import create_app
        from tests.conftest import client_for

        app = create_app(make_settings(), db)
        async with client_for(app) as client:
            short_id = await open_incident(client, admin, api_service)
            codes = []
            for _ in range(6):
                response = await client.post(
                    f"/api/v1/incidents/{short_id}/remediate/?wait=false",
                    headers=admin.headers,
                    json={"action": "reboot_the_world"},
                )
                codes.append(response.status_code)
            assert codes == [400] * 5 + [429]
            assert response.json()["retry_after"] > 0
            assert response.headers["X-RateLimit-Limit"] == "5"
            await app.state.intake.close()


async def test_the_dashboard_shows_the_remediation(client, admin, svc, api_service, worker):
    from tests.web.helpers import log_in

    await add_executor(client, admin, svc, api_service)
    short_id = await open_incident(client, admin, api_service)
    response = await client.post(
        f"/api/v1/incidents/{short_id}/remediate/", headers=admin.headers, json=SEED_BODY
    )
    assert response.status_code == 200

    await log_in(client, admin)
    page = await client.get(f"/incidents/{short_id}")

    assert page.status_code == 200
    assert "<dt>Remediation</dt>" in page.text
    assert "succeeded" in page.text
    assert "Remediation restart_service succeeded (attempt 1)" in page.text  # the timeline
