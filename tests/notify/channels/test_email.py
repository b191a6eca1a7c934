"""The e-mail channel against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from imas.notify.channels import registry
from imas.notify.channels.base import ChannelError, Page
from imas.notify.channels.email import EmailChannel
from tests.notify.channels.smtp import Inbox, smtp_server
from tests.notify.receivers import free_port

PAGE = Page(
    organization_id=uuid.uuid4(),
    incident_id=uuid.uuid4(),
    incident_short_id="INC-A1B2C3",
    title="Redis down",
    severity="SEV1_CRITICAL",
    status="TRIGGERED",
    url="https://imas.example.com/incidents/INC-A1B2C3",
    text="[SEV1_CRITICAL] INC-A1B2C3 Redis down (TRIGGERED)",
)


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


async def test_the_page_arrives_at_the_smtp_server(make_settings, smtp):
    inbox = smtp
    settings = make_settings(
        smtp_host="127.0.0.1", smtp_port=inbox.port, smtp_from="imas@example.com"
    )
    channel = registry.get("email", settings)
    assert isinstance(channel, EmailChannel)

    message_id = await channel.send(None, "oncall@example.com", PAGE)

    [(sender, recipients, msg)] = inbox.envelopes
    assert sender == "imas@example.com"
    assert recipients == ["oncall@example.com"]
    assert msg["Message-ID"] == message_id
    assert msg["Subject"] == "[IMAS SEV1_CRITICAL] INC-A1B2C3: Redis down"
    body = msg.get_payload(decode=True).decode()
    assert PAGE.url in body
    assert PAGE.text in body


async def test_an_unreachable_server_is_a_channel_error(make_settings):
    settings = make_settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout_seconds=2)
    with pytest.raises(ChannelError, match="SMTP"):
        await EmailChannel(settings).send(None, "oncall@example.com", PAGE)
