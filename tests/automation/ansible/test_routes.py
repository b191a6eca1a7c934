"""`/api/v1/ansible/` without running ansible: bad playbook names and parameters, who may
execute, tenancy, the list of playbook files, and a missing `imas[ansible]` extra."""

from __future__ import annotations

import pytest

from imas.automation.ansible import runner
from tests.automation.helpers import open_incident
from tests.factories import make_actor
from tests.helpers import assert_error
from tests.incidents.factories import make_service

HOSTS = {"hosts": ["web-1", "web-2"]}


async def execute(client, actor, name, body=None):
    return await client.post(
        f"/api/v1/ansible/playbooks/{name}/execute/", headers=actor.headers, json=body or HOSTS
    )


class TestPlaybookNames:
    async def test_an_unknown_playbook_is_404(self, client, admin):
        response = await execute(client, admin, "nope.yml")
        assert_error(response, 404)
        assert response.json()["code"] == "playbook_not_found"

    @pytest.mark.parametrize("name", ["..%2Fx.yml", "%2E%2E%2Fx.yml", "sub/deploy.yml", ".hidden"])
    async def test_a_name_with_a_path_is_400(self, client, admin, name):
        response = await execute(client, admin, name)
        assert_error(response, 400)
        assert "playbook_name" in response.json()["details"]

    async def test_a_name_without_its_extension_finds_the_file(self, client, admin):
        response = await execute(client, admin, "deploy")
        assert response.status_code == 202, response.text
        detail = (await client.get(response.json()["url"], headers=admin.headers)).json()
        assert detail["playbook"] == "deploy.yml"
        assert detail["run_status"] == "queued"  # no worker here

    async def test_an_execution_can_act_on_an_incident(self, client, db, admin):
        service = await make_service(db, admin.org, name="web")
        short_id = await open_incident(client, admin, service)

        response = await execute(client, admin, "deploy.yml", {**HOSTS, "incident": short_id})

        assert response.status_code == 202, response.text
        detail = (await client.get(response.json()["url"], headers=admin.headers)).json()
        assert detail["incident"]["short_id"] == short_id
        unknown = await execute(client, admin, "deploy.yml", {**HOSTS, "incident": "INC-000000"})
        assert_error(unknown, 404)

    async def test_the_playbook_directory_is_listed(self, client, admin):
        response = await client.get("/api/v1/ansible/playbooks/available/", headers=admin.headers)
        assert response.status_code == 200
        names = [p["name"] for p in response.json()]
        assert {"deploy.yml", "restart.yml", "slow.yaml"} <= set(names)

    async def test_a_remediation_naming_a_path_is_400(self, client, admin):
        response = await client.post(
            "/api/v1/automation/runs/",
            headers=admin.headers,
            json={"action": "ansible_playbook", "parameters": {"playbook": "../x.yml", **HOSTS}},
        )
        assert_error(response, 400)
        assert "parameters.playbook" in response.json()["details"]


class TestParameters:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"hosts": []}, "hosts"),
            ({"hosts": ["web-1,web-2"]}, "hosts"),
            ({"hosts": ["web-1"], "variables": {"ansible_connection": "local"}}, "variables"),
            ({"hosts": ["web-1"], "variables": {"bad name": 1}}, "variables"),
            ({"hosts": ["web-1"], "tags": ["a b"]}, "tags"),
            ({"hosts": ["web-1"], "surprise": True}, "surprise"),
        ],
    )
    async def test_bad_parameters_are_400(self, client, admin, body, field):
        response = await execute(client, admin, "deploy.yml", body)
        assert_error(response, 400)
        assert field in response.json()["details"]


class TestAccess:
    async def test_without_a_credential_it_is_401(self, client):
        response = await client.post("/api/v1/ansible/playbooks/deploy.yml/execute/", json=HOSTS)
        assert_error(response, 401)

    async def test_a_viewer_cannot_execute_but_can_read(self, client, db, admin):
        viewer = await make_actor(db, admin.org, role="viewer")
        assert_error(await execute(client, viewer, "deploy.yml"), 403)
        listed = await client.get("/api/v1/ansible/playbooks/", headers=viewer.headers)
        assert listed.status_code == 200

    async def test_another_organizations_execution_is_404(self, client, admin, outsider):
        response = await execute(client, admin, "deploy.yml")
        url = response.json()["url"]

        assert_error(await client.get(url, headers=outsider.headers), 404)
        assert_error(await client.get(url + "logs/", headers=outsider.headers), 404)
        assert_error(await client.post(url + "cancel/", headers=outsider.headers), 404)
        listed = await client.get("/api/v1/ansible/playbooks/", headers=outsider.headers)
        assert listed.json()["count"] == 0
        mine = await client.get("/api/v1/ansible/playbooks/", headers=admin.headers)
        assert mine.json()["count"] == 1

    async def test_a_run_of_another_action_is_no_execution(self, client, admin):
        response = await client.post(
            "/api/v1/automation/runs/",
            headers=admin.headers,
            json={"action": "http_request", "parameters": {"url": "https://example.com/"}},
        )
        run_id = response.json()["id"]
        found = await client.get(f"/api/v1/ansible/executions/{run_id}/", headers=admin.headers)
        assert_error(found, 404)

    async def test_a_bad_status_filter_is_400(self, client, admin):
        response = await client.get("/api/v1/ansible/playbooks/?status=nope", headers=admin.headers)
        assert_error(response, 400)


async def test_without_the_ansible_extra_it_is_a_clear_400(client, admin, monkeypatch):
    monkeypatch.setattr(runner, "installed", lambda: False)
    response = await execute(client, admin, "deploy.yml")
    assert_error(response, 400)
    body = response.json()
    assert body["code"] == "ansible_unavailable"
    assert "imas[ansible]" in body["message"]
