"""`/api/v1/automation/executors/` and `/policies/`: what admins set up for automation (executor
credentials are write-only and stored encrypted), and `/actions/`, the catalogue of actions."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from imas.automation.actions import registry
from imas.automation.models import Executor
from tests.automation import fake_remotes as fr
from tests.factories import make_actor
from tests.helpers import assert_error
from tests.incidents.factories import make_service

API = "/api/v1/automation"
EXECUTORS = f"{API}/executors/"
POLICIES = f"{API}/policies/"
AIRFLOW_SECRET = fr.AIRFLOW_PASSWORD
TRIGGER_URL = "https://prod-12.westeurope.logic.azure.com" + fr.LOGIC_APP_PATH
LOGIC_APP_TRIGGER = f"{TRIGGER_URL}?api-version=2016-10-01&sig={fr.LOGIC_APP_SIG}"


def airflow(**fields):
    return {
        "name": "airflow-prod",
        "kind": "airflow",
        "base_url": "https://airflow.example.com",
        "config": {"verify_tls": True},
        "credentials": {"username": fr.AIRFLOW_USER, "password": AIRFLOW_SECRET},
        **fields,
    }


async def create_executor(client, actor, **fields):
    response = await client.post(EXECUTORS, headers=actor.headers, json=airflow(**fields))
    assert response.status_code == 201, response.text
    return response.json()


async def stored_credentials(db, executor_id: str) -> str | None:
    async with db.transaction(write=False) as session:
        return await session.scalar(
            select(Executor.credentials_encrypted)
            .where(Executor.id == uuid.UUID(executor_id))
            .execution_options(all_orgs=True)
        )


async def create_integration(client, actor, name="azure-prod"):
    response = await client.post(
        "/api/v1/integrations/",
        headers=actor.headers,
        json={"kind": "alertmanager", "name": name},
    )
    assert response.status_code == 201, response.text
    return response.json()


class TestExecutors:
    async def test_lifecycle_never_shows_the_credentials(self, client, db, admin):
        created = await create_executor(client, admin)
        assert created["name"] == "airflow-prod"
        assert created["kind"] == "airflow"
        assert created["base_url"] == "https://airflow.example.com"
        assert created["config"] == {"verify_tls": True}
        assert created["has_credentials"] is True
        assert "credentials" not in created
        url = f"{EXECUTORS}{created['id']}/"

        listed = await client.get(EXECUTORS, headers=admin.headers)
        assert listed.status_code == 200
        assert [e["id"] for e in listed.json()["results"]] == [created["id"]]
        shown = await client.get(url, headers=admin.headers)
        assert shown.status_code == 200
        assert shown.json()["name"] == "airflow-prod"

        changed = await client.patch(
            url,
            headers=admin.headers,
            json={"name": "airflow-eu", "base_url": "https://airflow-eu.example.com"},
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["name"] == "airflow-eu"
        assert changed.json()["base_url"] == "https://airflow-eu.example.com"
        assert changed.json()["has_credentials"] is True  # untouched when not given
        assert changed.json()["config"] == {"verify_tls": True}

        for answer in (created, listed.text, shown.text, changed.text):
            assert AIRFLOW_SECRET not in str(answer)
        trail = await client.get("/api/v1/audit-trail/", headers=admin.headers)
        assert trail.status_code == 200
        assert AIRFLOW_SECRET not in trail.text

        assert (await client.delete(url, headers=admin.headers)).status_code == 204
        assert_error(await client.get(url, headers=admin.headers), 404, "not_found")
        listed = await client.get(EXECUTORS, headers=admin.headers)
        assert listed.json()["results"] == []

    async def test_credentials_are_stored_encrypted(self, client, db, admin):
        created = await create_executor(client, admin)
        sealed = await stored_credentials(db, created["id"])
        assert sealed
        assert AIRFLOW_SECRET not in sealed
        assert fr.AIRFLOW_USER not in sealed

        new_secret = "rotated-pw-" + uuid.uuid4().hex
        changed = await client.patch(
            f"{EXECUTORS}{created['id']}/",
            headers=admin.headers,
            json={"credentials": {"username": fr.AIRFLOW_USER, "password": new_secret}},
        )
        assert changed.status_code == 200, changed.text
        assert new_secret not in changed.text
        resealed = await stored_credentials(db, created["id"])
        assert resealed
        assert resealed != sealed
        assert new_secret not in resealed

    async def test_credentials_can_be_removed(self, client, db, admin):
        created = await create_executor(client, admin)
        changed = await client.patch(
            f"{EXECUTORS}{created['id']}/", headers=admin.headers, json={"credentials": None}
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["has_credentials"] is False
        assert await stored_credentials(db, created["id"]) is None

    async def test_a_duplicate_name_is_409(self, client, admin):
        await create_executor(client, admin)
        again = await client.post(EXECUTORS, headers=admin.headers, json=airflow())
        body = assert_error(again, 409, "conflict")
        assert "airflow-prod" in body["message"]
        assert AIRFLOW_SECRET not in again.text

    async def test_renaming_onto_another_name_is_409(self, client, admin):
        await create_executor(client, admin)
        other = await create_executor(client, admin, name="airflow-eu")
        response = await client.patch(
            f"{EXECUTORS}{other['id']}/", headers=admin.headers, json={"name": "airflow-prod"}
        )
        assert_error(response, 409, "conflict")
        shown = await client.get(f"{EXECUTORS}{other['id']}/", headers=admin.headers)
        assert shown.json()["name"] == "airflow-eu"

    async def test_another_organization_may_use_the_same_name(self, client, admin, outsider):
        await create_executor(client, admin)
        await create_executor(client, outsider)

    @pytest.mark.parametrize("base_url", ["", "airflow.example.com", "ftp://airflow.example.com"])
    async def test_a_bad_base_url_is_400(self, client, admin, base_url):
        response = await client.post(
            EXECUTORS, headers=admin.headers, json=airflow(base_url=base_url)
        )
        body = assert_error(response, 400, "validation_error")
        assert "base_url" in body["details"]
        assert AIRFLOW_SECRET not in response.text
        assert (await client.get(EXECUTORS, headers=admin.headers)).json()["count"] == 0

    async def test_a_bad_base_url_in_a_change_is_400(self, client, admin):
        created = await create_executor(client, admin)
        url = f"{EXECUTORS}{created['id']}/"
        response = await client.patch(url, headers=admin.headers, json={"base_url": "nowhere"})
        assert "base_url" in assert_error(response, 400, "validation_error")["details"]
        shown = await client.get(url, headers=admin.headers)
        assert shown.json()["base_url"] == "https://airflow.example.com"

    async def test_azure_has_a_default_base_url(self, client, admin):
        created = await create_executor(
            client,
            admin,
            name="adf",
            kind="azure",
            base_url="",
            credentials={"client_secret": fr.CLIENT_SECRET},
        )
        assert created["base_url"] == "https://management.azure.com"
        assert fr.CLIENT_SECRET not in str(created)

    async def test_a_logic_app_keeps_its_trigger_url_secret(self, client, db, admin):
        created = await create_executor(
            client,
            admin,
            name="remediate-adf",
            kind="logic_app",
            base_url="",
            config={},
            credentials={"trigger_url": LOGIC_APP_TRIGGER},
        )
        assert created["has_credentials"] is True
        listed = await client.get(EXECUTORS, headers=admin.headers)
        for text in (str(created), listed.text):
            assert fr.LOGIC_APP_SIG not in text
        assert fr.LOGIC_APP_SIG not in (await stored_credentials(db, created["id"]) or "")

    @pytest.mark.parametrize("credentials", [None, {}, {"token": "x"}, {"trigger_url": ""}])
    async def test_a_logic_app_without_a_trigger_url_is_400(self, client, admin, credentials):
        response = await client.post(
            EXECUTORS,
            headers=admin.headers,
            json=airflow(name="remediate-adf", kind="logic_app", credentials=credentials),
        )
        body = assert_error(response, 400, "validation_error")
        assert "credentials" in body["details"]
        assert "trigger_url" in body["message"]

    async def test_an_unknown_kind_or_field_is_400(self, client, admin):
        response = await client.post(EXECUTORS, headers=admin.headers, json=airflow(kind="ssh"))
        assert "kind" in assert_error(response, 400, "validation_error")["details"]
        response = await client.post(EXECUTORS, headers=admin.headers, json=airflow(password="x"))
        assert_error(response, 400, "validation_error")

    async def test_an_unknown_service_is_400(self, client, admin):
        response = await client.post(
            EXECUTORS, headers=admin.headers, json=airflow(service=str(uuid.uuid4()))
        )
        assert "service" in assert_error(response, 400, "validation_error")["details"]

    async def test_a_service_executor_names_its_service(self, client, db, admin):
        service = await make_service(db, admin.org, "checkout")
        created = await create_executor(
            client,
            admin,
            name="checkout-restarter",
            kind="service",
            base_url="https://ops.example.com",
            service=str(service.id),
        )
        assert created["service"] == str(service.id)

    async def test_another_organizations_service_is_400(self, client, db, admin, outsider):
        theirs = await make_service(db, outsider.org, "billing")
        response = await client.post(
            EXECUTORS, headers=admin.headers, json=airflow(service=str(theirs.id))
        )
        assert "service" in assert_error(response, 400, "validation_error")["details"]

    async def test_a_responder_lists_but_does_not_change(self, client, db, admin):
        responder = await make_actor(db, org=admin.org, role="responder")
        created = await create_executor(client, admin)
        url = f"{EXECUTORS}{created['id']}/"

        listed = await client.get(EXECUTORS, headers=responder.headers)
        assert listed.status_code == 200
        assert [e["name"] for e in listed.json()["results"]] == ["airflow-prod"]
        assert AIRFLOW_SECRET not in listed.text
        assert (await client.get(url, headers=responder.headers)).status_code == 200

        refused = await client.post(EXECUTORS, headers=responder.headers, json=airflow(name="mine"))
        assert_error(refused, 403, "permission_denied")
        patched = await client.patch(url, headers=responder.headers, json={"name": "mine"})
        assert_error(patched, 403, "permission_denied")
        assert_error(await client.delete(url, headers=responder.headers), 403, "permission_denied")
        shown = await client.get(url, headers=admin.headers)
        assert shown.json()["name"] == "airflow-prod"

    async def test_another_organizations_executor_is_404(self, client, admin, outsider):
        theirs = await create_executor(client, outsider)
        url = f"{EXECUTORS}{theirs['id']}/"
        assert_error(await client.get(url, headers=admin.headers), 404, "not_found")
        patched = await client.patch(url, headers=admin.headers, json={"name": "taken"})
        assert_error(patched, 404, "not_found")
        assert_error(await client.delete(url, headers=admin.headers), 404, "not_found")
        listed = await client.get(EXECUTORS, headers=admin.headers)
        assert listed.json()["results"] == []
        shown = await client.get(url, headers=outsider.headers)
        assert shown.json()["name"] == "airflow-prod"

    async def test_an_unknown_id_is_404_and_a_malformed_one_400(self, client, admin):
        unknown = await client.get(f"{EXECUTORS}{uuid.uuid4()}/", headers=admin.headers)
        assert_error(unknown, 404, "not_found")
        malformed = await client.get(f"{EXECUTORS}not-a-uuid/", headers=admin.headers)
        assert_error(malformed, 400, "validation_error")


def policy(**fields):
    return {
        "name": "approve restarts",
        "actions": ["restart_service"],
        "severities": ["SEV1_CRITICAL"],
        "require_approval": True,
        **fields,
    }


async def create_policy(client, actor, **fields):
    response = await client.post(POLICIES, headers=actor.headers, json=policy(**fields))
    assert response.status_code == 201, response.text
    return response.json()


class TestPolicies:
    async def test_lifecycle(self, client, db, admin):
        created = await create_policy(client, admin)
        assert created["name"] == "approve restarts"
        assert created["enabled"] is True
        assert created["actions"] == ["restart_service"]
        assert created["severities"] == ["SEV1_CRITICAL"]
        assert created["require_approval"] is True
        assert created["auto_remediate"] is False
        url = f"{POLICIES}{created['id']}/"

        listed = await client.get(POLICIES, headers=admin.headers)
        assert [p["id"] for p in listed.json()["results"]] == [created["id"]]
        assert (await client.get(url, headers=admin.headers)).json()["name"] == "approve restarts"

        service = await make_service(db, admin.org, "etl")
        integration = await create_integration(client, admin)
        executor = await create_executor(
            client,
            admin,
            name="remediate-adf",
            kind="logic_app",
            credentials={"trigger_url": LOGIC_APP_TRIGGER},
        )
        replaced = await client.put(
            url,
            headers=admin.headers,
            json={
                "name": "auto-rerun sales pipeline",
                "integration": integration["id"],
                "service": str(service.id),
                "actions": ["logic_app_trigger"],
                "auto_remediate": True,
                "executor": executor["id"],
                "max_retries": 3,
            },
        )
        assert replaced.status_code == 200, replaced.text
        body = replaced.json()
        assert body["name"] == "auto-rerun sales pipeline"
        assert body["integration"] == integration["id"]
        assert body["service"] == str(service.id)
        assert body["executor"] == executor["id"]
        assert body["auto_remediate"] is True
        assert body["max_retries"] == 3
        assert body["severities"] == []  # a replacement: what is not given is back to default
        assert body["require_approval"] is False
        assert (await client.get(url, headers=admin.headers)).json() == body

        assert (await client.delete(url, headers=admin.headers)).status_code == 204
        assert_error(await client.get(url, headers=admin.headers), 404, "not_found")
        assert (await client.get(POLICIES, headers=admin.headers)).json()["count"] == 0

    async def test_an_unknown_action_is_400(self, client, admin):
        response = await client.post(
            POLICIES, headers=admin.headers, json=policy(actions=["restart_service", "reboot"])
        )
        body = assert_error(response, 400, "validation_error")
        assert "actions" in body["details"]
        assert "reboot" in body["message"]
        assert (await client.get(POLICIES, headers=admin.headers)).json()["count"] == 0

    async def test_an_unknown_action_in_a_replacement_is_400(self, client, admin):
        created = await create_policy(client, admin)
        url = f"{POLICIES}{created['id']}/"
        response = await client.put(url, headers=admin.headers, json=policy(actions=["reboot"]))
        assert_error(response, 400, "validation_error")
        assert (await client.get(url, headers=admin.headers)).json()["actions"] == [
            "restart_service"
        ]

    async def test_auto_remediation_needs_an_integration_or_a_service(self, client, db, admin):
        response = await client.post(
            POLICIES,
            headers=admin.headers,
            json={"name": "fix everything", "auto_remediate": True},
        )
        body = assert_error(response, 400, "validation_error")
        assert "auto_remediate" in body["details"]

        service = await make_service(db, admin.org, "etl")
        await create_policy(
            client, admin, name="fix etl", auto_remediate=True, service=str(service.id)
        )
        integration = await create_integration(client, admin)
        await create_policy(
            client, admin, name="fix azure", auto_remediate=True, integration=integration["id"]
        )

    @pytest.mark.parametrize("field", ["integration", "service", "executor"])
    async def test_an_unknown_reference_is_400(self, client, admin, field):
        response = await client.post(
            POLICIES, headers=admin.headers, json=policy(**{field: str(uuid.uuid4())})
        )
        assert field in assert_error(response, 400, "validation_error")["details"]

    async def test_another_organizations_references_are_400(self, client, db, admin, outsider):
        service = await make_service(db, outsider.org, "billing")
        integration = await create_integration(client, outsider)
        executor = await create_executor(client, outsider)
        for field, ident in (
            ("service", str(service.id)),
            ("integration", integration["id"]),
            ("executor", executor["id"]),
        ):
            response = await client.post(
                POLICIES, headers=admin.headers, json=policy(**{field: ident})
            )
            assert field in assert_error(response, 400, "validation_error")["details"]

    async def test_bad_fields_are_400(self, client, admin):
        for bad in (
            {"severities": ["SEV9"]},
            {"max_retries": 0},
            {"max_retries": 11},
            {"name": ""},
            {"approval": True},
        ):
            response = await client.post(POLICIES, headers=admin.headers, json=policy(**bad))
            assert_error(response, 400, "validation_error")

    async def test_a_responder_lists_but_does_not_change(self, client, db, admin):
        responder = await make_actor(db, org=admin.org, role="responder")
        created = await create_policy(client, admin)
        url = f"{POLICIES}{created['id']}/"

        listed = await client.get(POLICIES, headers=responder.headers)
        assert listed.status_code == 200
        assert [p["id"] for p in listed.json()["results"]] == [created["id"]]
        assert (await client.get(url, headers=responder.headers)).status_code == 200

        refused = await client.post(POLICIES, headers=responder.headers, json=policy(name="mine"))
        assert_error(refused, 403, "permission_denied")
        replaced = await client.put(url, headers=responder.headers, json=policy(name="mine"))
        assert_error(replaced, 403, "permission_denied")
        assert_error(await client.delete(url, headers=responder.headers), 403, "permission_denied")
        assert (await client.get(url, headers=admin.headers)).json()["name"] == "approve restarts"

    async def test_another_organizations_policy_is_404(self, client, admin, outsider):
        theirs = await create_policy(client, outsider)
        url = f"{POLICIES}{theirs['id']}/"
        assert_error(await client.get(url, headers=admin.headers), 404, "not_found")
        replaced = await client.put(url, headers=admin.headers, json=policy(name="mine"))
        assert_error(replaced, 404, "not_found")
        assert_error(await client.delete(url, headers=admin.headers), 404, "not_found")
        assert (await client.get(POLICIES, headers=admin.headers)).json()["count"] == 0
        shown = await client.get(url, headers=outsider.headers)
        assert shown.json()["name"] == "approve restarts"


class TestActions:
    async def test_every_action_kind_is_listed_with_its_schema(self, client, db, admin):
        viewer = await make_actor(db, org=admin.org, role="viewer")
        response = await client.get(f"{API}/actions/", headers=viewer.headers)
        assert response.status_code == 200, response.text
        actions = {a["kind"]: a for a in response.json()}
        assert set(actions) == set(registry.kinds())
        assert {
            "restart_service",
            "logic_app_trigger",
            "airflow_clear_task",
            "databricks_repair_run",
            "adf_rerun_pipeline",
        } <= set(actions)
        for action in actions.values():
            assert action["description"]
            assert action["max_retries"] >= 1
            assert isinstance(action["executor_kinds"], list)
            assert action["parameters"]["type"] == "object"
            assert "properties" in action["parameters"]
        logic_app = actions["logic_app_trigger"]
        assert logic_app["executor_kinds"] == ["logic_app"]
        assert logic_app["executor_required"] is True
        assert "payload" in logic_app["parameters"]["properties"]


class TestAuthentication:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", EXECUTORS),
            ("POST", EXECUTORS),
            ("GET", f"{EXECUTORS}{uuid.UUID(int=1)}/"),
            ("PATCH", f"{EXECUTORS}{uuid.UUID(int=1)}/"),
            ("DELETE", f"{EXECUTORS}{uuid.UUID(int=1)}/"),
            ("GET", POLICIES),
            ("POST", POLICIES),
            ("GET", f"{POLICIES}{uuid.UUID(int=1)}/"),
            ("PUT", f"{POLICIES}{uuid.UUID(int=1)}/"),
            ("DELETE", f"{POLICIES}{uuid.UUID(int=1)}/"),
            ("GET", f"{API}/actions/"),
        ],
    )
    async def test_without_credentials_is_401(self, client, method, path):
        json = {} if method in ("POST", "PATCH", "PUT") else None
        response = await client.request(method, path, json=json)
        assert_error(response, 401)

    async def test_a_bad_token_is_401(self, client, admin):
        response = await client.get(EXECUTORS, headers={"Authorization": "Token nope"})
        assert_error(response, 401)
