"""`/api/v1/integrations/jira/`: admins connect a JIRA project; the webhook secret is shown once."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from imas.config import Settings
from imas.db import Database
from imas.integrations.jira.models import JiraConfig
from imas.notify import crypto
from tests.factories import Actor, make_actor
from tests.helpers import assert_error
from tests.integrations.jira.conftest import JiraOrg, config_body
from tests.integrations.jira.fake_jira import API_TOKEN, FakeJira, webhook

URL = "/api/v1/integrations/jira/"


class TestConnect:
    async def test_the_webhook_secret_is_shown_once_and_secrets_never(
        self, client: httpx.AsyncClient, connected: JiraOrg
    ):
        assert len(connected.secret) >= 32
        assert connected.config["project_key"] == "APAIOPS"
        assert connected.config["severities"] == ["SEV1_CRITICAL", "SEV2_HIGH"]
        got = await client.get(URL, headers=connected.admin.headers)
        assert got.status_code == 200
        assert "webhook_secret" not in got.json()
        assert connected.secret not in got.text
        assert API_TOKEN not in got.text
        assert API_TOKEN not in str(connected.config)
        again = await client.put(
            URL, headers=connected.admin.headers, json=config_body(connected.jira, api_token=None)
        )
        assert again.status_code == 200, again.text
        assert again.json()["webhook_secret"] is None

    async def test_the_token_is_encrypted_and_the_secret_only_hashed(
        self, connected: JiraOrg, db: Database, settings: Settings
    ):
        async with db.read_sessions() as session:
            row = await session.scalar(select(JiraConfig).execution_options(all_orgs=True))
        assert row is not None
        assert API_TOKEN not in row.secret_encrypted
        assert crypto.decrypt(row.secret_encrypted, settings.secret_key) == API_TOKEN
        assert connected.secret not in row.token_hash

    async def test_rotating_the_secret_retires_the_old_one(
        self, client: httpx.AsyncClient, connected: JiraOrg
    ):
        response = await client.put(
            URL,
            headers=connected.admin.headers,
            json=config_body(connected.jira, rotate_webhook_secret=True),
        )
        new = response.json()["webhook_secret"]
        assert new
        assert new != connected.secret
        old = await client.post(connected.webhook_url, json=webhook("APAIOPS-9", "Done"))
        assert_error(old, 401, "invalid_webhook_secret")
        fresh = await client.post(
            f"/api/v1/webhooks/jira/?secret={new}", json=webhook("APAIOPS-9", "Done")
        )
        assert fresh.status_code == 200
        assert fresh.json()["status"] == "ignored"

    async def test_the_first_put_needs_the_api_token(
        self, client: httpx.AsyncClient, admin: Actor, jira: FakeJira
    ):
        response = await client.put(
            URL, headers=admin.headers, json=config_body(jira, api_token=None)
        )
        assert_error(response, 400, "validation_error")

    async def test_a_project_key_must_look_like_one(
        self, client: httpx.AsyncClient, admin: Actor, jira: FakeJira
    ):
        response = await client.put(
            URL, headers=admin.headers, json=config_body(jira, project_key="not a key")
        )
        assert_error(response, 400, "validation_error")


class TestAccess:
    async def test_without_credentials_401(self, client: httpx.AsyncClient):
        assert_error(await client.get(URL), 401)

    async def test_a_responder_may_not(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database
    ):
        responder = await make_actor(db, connected.admin.org, role="responder")
        assert_error(await client.get(URL, headers=responder.headers), 403)
        response = await client.put(
            URL, headers=responder.headers, json=config_body(connected.jira)
        )
        assert_error(response, 403)

    async def test_another_organization_sees_none(
        self, client: httpx.AsyncClient, connected: JiraOrg, outsider: Actor
    ):
        assert_error(await client.get(URL, headers=outsider.headers), 404)

    async def test_delete_disconnects_and_the_secret_stops_working(
        self, client: httpx.AsyncClient, connected: JiraOrg
    ):
        assert (await client.delete(URL, headers=connected.admin.headers)).status_code == 204
        assert_error(await client.get(URL, headers=connected.admin.headers), 404)
        response = await client.post(connected.webhook_url, json=webhook("APAIOPS-1", "Done"))
        assert_error(response, 401)
