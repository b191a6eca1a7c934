"""`/api/v1/integrations/slack/`: admins connect a workspace; secrets never come back."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select

from imas.config import Settings
from imas.db import Database
from imas.integrations.slack.models import SlackConfig
from imas.notify import crypto
from tests.factories import Actor, make_actor
from tests.helpers import assert_error
from tests.integrations.slack.conftest import CHANNEL, SIGNING_SECRET, SlackOrg
from tests.integrations.slack.fake_slack import BOT_TOKEN, TEAM_ID, FakeSlack

URL = "/api/v1/integrations/slack/"


class TestConnect:
    async def test_put_learns_the_team_from_slack_and_never_returns_secrets(
        self, client: httpx.AsyncClient, connected: SlackOrg
    ):
        assert connected.config["team_id"] == TEAM_ID
        assert [c.method for c in connected.slack.calls] == ["auth.test"]
        got = await client.get(URL, headers=connected.admin.headers)
        assert got.status_code == 200
        body = got.json()
        assert body["default_channel"] == CHANNEL
        assert body["war_room_severities"] == ["SEV1_CRITICAL", "SEV2_HIGH"]
        assert body["bot_token_set"] is True
        for text in (got.text, json.dumps(connected.config)):
            assert BOT_TOKEN not in text
            assert SIGNING_SECRET not in text

    async def test_secrets_are_encrypted_at_rest(
        self, connected: SlackOrg, db: Database, settings: Settings
    ):
        async with db.read_sessions() as session:
            row = await session.scalar(select(SlackConfig).execution_options(all_orgs=True))
        assert row is not None
        assert BOT_TOKEN not in row.secret_encrypted
        assert SIGNING_SECRET not in row.secret_encrypted
        stored = json.loads(crypto.decrypt(row.secret_encrypted, settings.secret_key))
        assert stored == {"bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET}

    async def test_a_second_put_keeps_the_secrets_it_omits(
        self, client: httpx.AsyncClient, connected: SlackOrg, db: Database, settings: Settings
    ):
        response = await client.put(
            URL,
            headers=connected.admin.headers,
            json={
                "team_id": TEAM_ID,
                "default_channel": "C0OTHER001",
                "war_room_severities": ["SEV1_CRITICAL"],
                "api_base_url": connected.slack.api_url,
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()["default_channel"] == "C0OTHER001"
        async with db.read_sessions() as session:
            row = await session.scalar(select(SlackConfig).execution_options(all_orgs=True))
        assert row is not None
        assert json.loads(crypto.decrypt(row.secret_encrypted, settings.secret_key)) == {
            "bot_token": BOT_TOKEN,
            "signing_secret": SIGNING_SECRET,
        }

    async def test_first_put_needs_both_secrets(
        self, client: httpx.AsyncClient, admin: Actor, slack: FakeSlack
    ):
        response = await client.put(
            URL,
            headers=admin.headers,
            json={"bot_token": BOT_TOKEN, "default_channel": CHANNEL, "team_id": TEAM_ID},
        )
        assert_error(response, 400, "validation_error")
        assert "signing_secret" in response.json()["details"]

    async def test_a_token_slack_refuses_is_a_validation_error(
        self, client: httpx.AsyncClient, admin: Actor, slack: FakeSlack
    ):
        response = await client.put(
            URL,
            headers=admin.headers,
            json={
                "bot_token": "xoxb-wrong",
                "signing_secret": SIGNING_SECRET,
                "default_channel": CHANNEL,
                "api_base_url": slack.api_url,
            },
        )
        body = assert_error(response, 400, "validation_error")
        assert "invalid_auth" in body["message"]

    async def test_a_workspace_belongs_to_one_organization(
        self, client: httpx.AsyncClient, connected: SlackOrg, outsider: Actor
    ):
        response = await client.put(
            URL,
            headers=outsider.headers,
            json={
                "bot_token": BOT_TOKEN,
                "signing_secret": SIGNING_SECRET,
                "team_id": TEAM_ID,
                "default_channel": CHANNEL,
            },
        )
        assert_error(response, 409, "slack_workspace_taken")


class TestAccess:
    async def test_without_credentials_401(self, client: httpx.AsyncClient):
        assert_error(await client.get(URL), 401)

    async def test_a_responder_may_not_read_or_change_it(
        self, client: httpx.AsyncClient, connected: SlackOrg, db: Database
    ):
        responder = await make_actor(db, connected.admin.org, role="responder")
        assert_error(await client.get(URL, headers=responder.headers), 403)
        assert_error(await client.delete(URL, headers=responder.headers), 403)

    async def test_another_organization_sees_none(
        self, client: httpx.AsyncClient, connected: SlackOrg, outsider: Actor
    ):
        assert_error(await client.get(URL, headers=outsider.headers), 404)
        assert_error(await client.delete(URL, headers=outsider.headers), 404)

    async def test_delete_disconnects(self, client: httpx.AsyncClient, connected: SlackOrg):
        response = await client.delete(URL, headers=connected.admin.headers)
        assert response.status_code == 204
        assert_error(await client.get(URL, headers=connected.admin.headers), 404)
