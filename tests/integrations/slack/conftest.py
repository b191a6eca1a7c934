"""Slack tests: a fake Slack Web API, an organization connected to it, and requests signed the
way Slack signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select

from imas.catalog.models import Service
from imas.db import Database, acting_in
from imas.incidents.models import Incident
from imas.integrations.slack.models import SlackMessage
from tests.factories import Actor, make_actor
from tests.incidents.factories import make_service
from tests.integrations.slack.fake_slack import FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0DEFAULT01"
SLACK_USER = "U0ALICE01"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


@dataclass
class SlackOrg:
    admin: Actor
    service: Service
    slack: FakeSlack
    config: dict[str, Any]


@pytest.fixture
async def connected(
    client: httpx.AsyncClient, admin: Actor, db: Database, slack: FakeSlack
) -> SlackOrg:
    """`admin`'s organization connected to the fake Slack; the admin is Slack user U0ALICE01."""
    response = await client.put(
        "/api/v1/integrations/slack/",
        headers=admin.headers,
        json={
            "bot_token": slack.token,
            "signing_secret": SIGNING_SECRET,
            "default_channel": CHANNEL,
            "api_base_url": slack.api_url,
        },
    )
    assert response.status_code == 201, response.text
    slack.add_user(SLACK_USER, admin.user.email or "")
    service = await make_service(db, admin.org, "checkout-api")
    return SlackOrg(admin, service, slack, response.json())


def sign(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's v0 signature: HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


FORM = "application/x-www-form-urlencoded"


async def post_form(
    client: httpx.AsyncClient,
    path: str,
    fields: dict[str, str],
    *,
    headers: dict[str, str] | None = None,
    timestamp: int | None = None,
) -> httpx.Response:
    body = urlencode(fields).encode()
    signed = headers if headers is not None else sign(body, timestamp)
    return await client.post(path, content=body, headers={"Content-Type": FORM, **signed})


async def command(
    client: httpx.AsyncClient, text: str, user_id: str = SLACK_USER, **extra: str
) -> httpx.Response:
    fields = {
        "token": "deprecated-verification-token",
        "team_id": "T0IMAS001",
        "team_domain": "imas",
        "channel_id": CHANNEL,
        "channel_name": "incidents",
        "user_id": user_id,
        "user_name": "alice",
        "command": "/imas",
        "text": text,
        "api_app_id": "A0IMAS",
        "response_url": "https://hooks.slack.com/commands/T0IMAS001/1/abc",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    } | extra
    return await post_form(client, "/api/v1/slack/commands/", fields)


async def interact(client: httpx.AsyncClient, payload: dict[str, Any], **kw: Any) -> httpx.Response:
    return await post_form(
        client, "/api/v1/slack/interactive/", {"payload": json.dumps(payload)}, **kw
    )


def button(action_id: str, incident_id: uuid.UUID, user_id: str = SLACK_USER) -> dict[str, Any]:
    """A block_actions payload as Slack sends it when a button of an IMAS message is clicked."""
    return {
        "type": "block_actions",
        "team": {"id": "T0IMAS001", "domain": "imas"},
        "user": {"id": user_id, "username": "alice", "team_id": "T0IMAS001"},
        "api_app_id": "A0IMAS",
        "trigger_id": "1.2.3",
        "channel": {"id": CHANNEL, "name": "incidents"},
        "container": {"type": "message", "message_ts": "1702380000.000001"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "incident_actions",
                "value": str(incident_id),
                "action_ts": "1702380001.000001",
            }
        ],
    }


async def incident_row(db: Database, org_id: uuid.UUID, incident_id: uuid.UUID) -> Incident:
    async with db.read_sessions() as session:
        with acting_in(session, org_id):
            found = await session.scalar(select(Incident).where(Incident.id == incident_id))
    assert found is not None
    return found


async def message_row(db: Database, org_id: uuid.UUID, incident_id: uuid.UUID) -> SlackMessage:
    async with db.read_sessions() as session:
        with acting_in(session, org_id):
            found = await session.scalar(
                select(SlackMessage).where(SlackMessage.incident_id == incident_id)
            )
    assert found is not None
    return found


async def responder(db: Database, org: Any, slack: FakeSlack, slack_id: str, role: str) -> Actor:
    actor = await make_actor(db, org, role=role)
    slack.add_user(slack_id, actor.user.email or "")
    return actor
