"""`/api/v1/integrations/`: admins manage them; the key is shown once, stored hashed."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy import select

from imas.alerts.models import Integration
from imas.auth.scopes import ADMIN, INCIDENT_READ, PIPELINE_READ
from tests.alerts.factories import make_integration
from tests.alerts.helpers import post
from tests.alerts.payloads import SEED_ALERTMANAGER
from tests.factories import make_actor
from tests.helpers import assert_error

PATH = "/api/v1/integrations/"


async def create(client, actor, expect=201, **body):
    response = await client.post(
        PATH, headers=actor.headers, json={"kind": "alertmanager", "name": "prod", **body}
    )
    assert response.status_code == expect, response.text
    return response.json()


class TestCreate:
    async def test_the_key_is_shown_once_and_stored_hashed(self, client, db, admin, api_gateway):
        body = await create(client, admin, default_service=str(api_gateway.id))
        key = body["key"]
        assert key.startswith("imas_")
        assert len(key) > 40
        assert body["key_prefix"] == key[: len(body["key_prefix"])]
        assert body["webhook_url"] == "/api/v1/webhooks/alertmanager/"
        assert body["default_service"]["name"] == "api-gateway"
        assert body["grouping_labels"] == ["service", "alertname"]
        assert body["resolve_behaviour"] == "mitigate"
        assert body["is_active"] is True

        shown = await client.get(f"{PATH}{body['id']}/", headers=admin.headers)
        assert "key" not in shown.json()
        listed = await client.get(PATH, headers=admin.headers)
        assert key not in listed.text
        async with db.transaction(write=False) as session:
            stored = await session.scalar(
                select(Integration.token_hash).where(Integration.id == uuid.UUID(body["id"]))
            )
        assert stored == hashlib.sha256(key.encode()).hexdigest()

        response = await client.post(
            body["webhook_url"], json=SEED_ALERTMANAGER, headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200, response.text

    async def test_the_audit_trail_never_holds_the_key_or_its_hash(self, client, admin):
        body = await create(client, admin)
        trail = await client.get("/api/v1/audit-trail/", headers=admin.headers)
        assert trail.status_code == 200
        assert "integration.created" in trail.text
        assert body["key"] not in trail.text
        assert hashlib.sha256(body["key"].encode()).hexdigest() not in trail.text

    async def test_settings_are_taken(self, client, admin):
        body = await create(
            client,
            admin,
            severity_mapping={"Warning": "critical", "page": "SEV2_HIGH"},
            grouping_labels=["cluster", "alertname"],
            resolve_behaviour="resolve",
            options={"service_label": "app"},
        )
        assert body["severity_mapping"] == {"warning": "SEV1_CRITICAL", "page": "SEV2_HIGH"}
        assert body["grouping_labels"] == ["cluster", "alertname"]
        assert body["resolve_behaviour"] == "resolve"
        assert body["options"] == {"service_label": "app"}

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"kind": "nagios"}, "kind"),
            ({"name": ""}, "name"),
            ({"severity_mapping": {"warning": "SEV9"}}, "severity_mapping.warning"),
            ({"grouping_labels": []}, "grouping_labels"),
            ({"grouping_labels": ["bad label"]}, "grouping_labels.0"),
            ({"resolve_behaviour": "ignore"}, "resolve_behaviour"),
            ({"options": {"unknown": 1}}, "options.unknown"),
            ({"options": {"service_label": ""}}, "options.service_label"),
            ({"default_service": str(uuid.uuid4())}, "default_service"),
        ],
    )
    async def test_invalid_settings_are_400_per_field(self, client, admin, body, field):
        response = await client.post(
            PATH, headers=admin.headers, json={"kind": "alertmanager", "name": "x", **body}
        )
        err = assert_error(response, 400, "validation_error")
        assert field in err["details"], err

    async def test_names_are_unique_in_an_organization(self, client, admin, outsider):
        await create(client, admin)
        err = assert_error(
            await client.post(
                PATH, headers=admin.headers, json={"kind": "grafana", "name": "prod"}
            ),
            409,
            "conflict",
        )
        assert err["error"] == "Integration already exists"
        await create(client, outsider)  # another organization may

    async def test_another_organizations_service_is_no_default(
        self, client, db, admin, outsider, api_gateway
    ):
        response = await client.post(
            PATH,
            headers=outsider.headers,
            json={"kind": "generic", "name": "x", "default_service": str(api_gateway.id)},
        )
        assert_error(response, 400, "validation_error")


class TestChange:
    async def test_patch_changes_only_what_is_sent(self, client, admin, api_gateway):
        body = await create(client, admin)
        response = await client.patch(
            f"{PATH}{body['id']}/",
            headers=admin.headers,
            json={"is_active": False, "default_service": str(api_gateway.id)},
        )
        assert response.status_code == 200, response.text
        changed = response.json()
        assert changed["is_active"] is False
        assert changed["default_service"]["id"] == str(api_gateway.id)
        assert changed["name"] == "prod"
        assert changed["key_prefix"] == body["key_prefix"]

    async def test_the_kind_never_changes(self, client, admin):
        body = await create(client, admin)
        response = await client.patch(
            f"{PATH}{body['id']}/", headers=admin.headers, json={"kind": "grafana"}
        )
        assert response.status_code == 200
        assert response.json()["kind"] == "alertmanager"

    async def test_null_is_refused_where_a_value_is_required(self, client, admin):
        body = await create(client, admin)
        response = await client.patch(
            f"{PATH}{body['id']}/", headers=admin.headers, json={"name": None}
        )
        assert_error(response, 400, "validation_error")

    async def test_rotating_the_key(self, client, admin):
        body = await create(client, admin)
        response = await client.post(f"{PATH}{body['id']}/rotate-key/", headers=admin.headers)
        assert response.status_code == 200, response.text
        rotated = response.json()
        assert rotated["key"] != body["key"]
        assert rotated["key_rotated_at"] is not None
        url = body["webhook_url"]
        old = await client.post(
            url, json=SEED_ALERTMANAGER, headers={"Authorization": f"Bearer {body['key']}"}
        )
        assert old.status_code == 401

    async def test_deleting_an_unused_integration(self, client, admin):
        body = await create(client, admin)
        gone = await client.delete(f"{PATH}{body['id']}/", headers=admin.headers)
        assert gone.status_code == 204
        assert_error(
            await client.get(f"{PATH}{body['id']}/", headers=admin.headers), 404, "not_found"
        )

    async def test_an_integration_with_alerts_is_disabled_not_deleted(self, client, admin, am, db):
        await post(client, am, SEED_ALERTMANAGER)
        err = assert_error(
            await client.delete(f"{PATH}{am.id}/", headers=admin.headers), 409, "in_use"
        )
        assert "disable it" in err["message"]


class TestList:
    async def test_filters(self, client, db, admin):
        await make_integration(db, admin.org, "alertmanager", name="am")
        await make_integration(db, admin.org, "grafana", name="graf", is_active=False)
        names = lambda r: [i["name"] for i in r.json()["results"]]  # noqa: E731
        assert names(await client.get(PATH, headers=admin.headers)) == ["am", "graf"]
        assert names(await client.get(PATH, headers=admin.headers, params={"kind": "grafana"})) == [
            "graf"
        ]
        assert names(
            await client.get(PATH, headers=admin.headers, params={"is_active": "true"})
        ) == ["am"]
        assert names(await client.get(PATH, headers=admin.headers, params={"search": "GRA"})) == [
            "graf"
        ]

    async def test_the_sources_are_listed_with_their_options(self, client, viewer):
        response = await client.get(f"{PATH}sources/", headers=viewer.headers)
        assert response.status_code == 200
        kinds = {s["kind"]: s for s in response.json()}
        assert set(kinds) >= {
            "alertmanager",
            "grafana",
            "datadog",
            "generic",
            "pagerduty",
            "azure-monitor",
            "databricks",
            "airflow",
        }
        assert kinds["alertmanager"]["severity_table"]["critical"] == "SEV1_CRITICAL"
        assert kinds["azure-monitor"]["severity_table"]["sev0"] == "SEV1_CRITICAL"
        assert kinds["azure-monitor"]["webhook_url"] == "/api/v1/webhooks/azure-monitor/"
        assert "service_label" in kinds["datadog"]["options_schema"]["properties"]


class TestAccess:
    ROUTES = [
        ("get", "{item}"),
        ("patch", "{item}"),
        ("delete", "{item}"),
        ("post", "{item}rotate-key/"),
    ]

    async def test_without_a_credential_is_401(self, client, db, admin):
        hook = await make_integration(db, admin.org)
        item = f"{PATH}{hook.id}/"
        for method, path in [("get", PATH), ("post", PATH), *self.ROUTES]:
            response = await client.request(method.upper(), path.format(item=item), json={})
            assert_error(response, 401, "not_authenticated")

    async def test_viewers_read_but_only_admins_write(self, client, db, admin, viewer, responder):
        hook = await make_integration(db, admin.org)
        item = f"{PATH}{hook.id}/"
        assert (await client.get(PATH, headers=viewer.headers)).status_code == 200
        assert (await client.get(item, headers=viewer.headers)).status_code == 200
        for actor in (viewer, responder):
            for method, path in [("post", PATH), *self.ROUTES[1:]]:
                response = await client.request(
                    method.upper(), path.format(item=item), headers=actor.headers, json={}
                )
                body = assert_error(response, 403, "permission_denied")
                assert body["details"] == {"required_scope": ADMIN}

    async def test_a_token_without_the_scope_is_403(self, client, db, admin):
        limited = await make_actor(db, org=admin.org, role="admin", scopes=[PIPELINE_READ])
        response = await client.get(PATH, headers=limited.headers)
        body = assert_error(response, 403, "permission_denied")
        assert body["details"] == {"required_scope": INCIDENT_READ}

    async def test_another_organizations_integration_is_404(self, client, db, admin, outsider):
        hook = await make_integration(db, outsider.org)
        item = f"{PATH}{hook.id}/"
        for method, path in self.ROUTES:
            response = await client.request(
                method.upper(), path.format(item=item), headers=admin.headers, json={}
            )
            body = assert_error(response, 404, "not_found")
            assert body["details"]["id"] == hook.id
        listed = await client.get(PATH, headers=admin.headers)
        assert listed.json()["count"] == 0
        still = await client.get(item, headers=outsider.headers)
        assert still.json()["key_prefix"] == hook.integration.key_prefix
