"""The webhook channel against a real HTTP receiver on 127.0.0.1, and its SSRF guard."""

from __future__ import annotations

import json

import pytest

from imas.notify.channels import registry
from imas.notify.channels.base import ChannelError
from imas.notify.channels.webhook import WebhookChannel
from tests.notify.channels.test_email import PAGE
from tests.notify.receivers import Receiver


@pytest.fixture
async def receiver():
    running = await Receiver().start()
    yield running
    await running.stop()


async def test_the_page_is_posted_as_json(make_settings, receiver):
    channel = registry.get("webhook", make_settings(webhook_allow_private=True))
    assert isinstance(channel, WebhookChannel)

    page_id = await channel.send(None, receiver.url, PAGE)

    [got] = receiver.received
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-imas-page-id"] == page_id
    body = json.loads(got.body)
    assert body["page_id"] == page_id
    assert body["incident_short_id"] == "INC-A1B2C3"
    assert body["incident_id"] == str(PAGE.incident_id)
    assert body["url"] == PAGE.url
    assert body["severity"] == "SEV1_CRITICAL"


async def test_a_refusing_receiver_is_a_channel_error(make_settings, receiver):
    receiver.status = 503
    with pytest.raises(ChannelError, match="HTTP 503"):
        await WebhookChannel(make_settings(webhook_allow_private=True)).send(
            None, receiver.url, PAGE
        )


async def test_private_addresses_are_refused_by_default(make_settings, receiver):
    with pytest.raises(ChannelError, match="IMAS_WEBHOOK_ALLOW_PRIVATE"):
        await WebhookChannel(make_settings()).send(None, receiver.url, PAGE)
    assert receiver.received == []


def test_the_registry_knows_every_channel_kind():
    assert {"email", "webhook"} <= set(registry.kinds())
    assert registry.get("carrier-pigeon", None) is None
