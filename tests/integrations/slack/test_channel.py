"""`SlackChannel`: a page posted with the organization's bot to a channel, a user or an e-mail."""

from __future__ import annotations

import uuid

import pytest

from imas.config import Settings
from imas.db import Database
from imas.notify.channels.base import ChannelError, Page
from imas.notify.channels.registry import get
from imas.notify.channels.slack import SlackChannel
from tests.factories import Actor
from tests.integrations.slack.conftest import SlackOrg


def _page(org_id: uuid.UUID) -> Page:
    return Page(
        organization_id=org_id,
        incident_id=uuid.uuid4(),
        incident_short_id="INC-A1B2C3",
        title="Checkout 500s",
        severity="SEV1_CRITICAL",
        status="TRIGGERED",
        url="https://imas.example.com/incidents/INC-A1B2C3",
        text="SEV1 INC-A1B2C3 Checkout 500s",
    )


async def test_the_registry_knows_it(settings: Settings):
    assert isinstance(get("slack", settings), SlackChannel)


async def test_a_page_to_a_channel(connected: SlackOrg, db: Database, settings: Settings):
    async with db.read_sessions() as session:
        sent = await SlackChannel(settings).send(
            session, "C0ONCALL01", _page(connected.admin.org.id)
        )
    [posted] = connected.slack.called("chat.postMessage")
    assert posted.args["channel"] == "C0ONCALL01"
    assert posted.args["text"] == "SEV1 INC-A1B2C3 Checkout 500s"
    assert posted.token == connected.slack.token
    assert sent == "C0ONCALL01:1702380000.000001"


async def test_a_page_to_an_email_goes_to_that_slack_user(
    connected: SlackOrg, db: Database, settings: Settings
):
    connected.slack.add_user("U0BOB0001", "bob@example.com")
    async with db.read_sessions() as session:
        sent = await SlackChannel(settings).send(
            session, "bob@example.com", _page(connected.admin.org.id)
        )
    assert [c.method for c in connected.slack.calls[1:]] == [
        "users.lookupByEmail",
        "chat.postMessage",
    ]
    assert connected.slack.called("chat.postMessage")[0].args["channel"] == "U0BOB0001"
    assert sent.startswith("D0BOB0001:")


async def test_slack_errors_are_channel_errors(
    connected: SlackOrg, db: Database, settings: Settings
):
    connected.slack.errors["chat.postMessage"] = "channel_not_found"
    async with db.read_sessions() as session:
        with pytest.raises(ChannelError, match="channel_not_found"):
            await SlackChannel(settings).send(session, "C0GONE", _page(connected.admin.org.id))


async def test_without_slack_configured_it_is_a_channel_error(
    admin: Actor, db: Database, settings: Settings
):
    async with db.read_sessions() as session:
        with pytest.raises(ChannelError, match="not configured"):
            await SlackChannel(settings).send(session, "C0X", _page(admin.org.id))
