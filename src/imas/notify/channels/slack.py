"""Slack pages: the page posted with the organization's Slack bot (`imas.integrations.slack`) to
a channel id (C...), a user id (U..., a direct message) or an e-mail (looked up with
`users.lookupByEmail`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import acting_in
from imas.integrations.slack import client, repository
from imas.integrations.slack.exceptions import SlackError
from imas.notify.channels.base import Channel, ChannelError, Page


def _blocks(page: Page) -> list[dict[str, Any]]:
    return [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f":pager: *{page.incident_short_id}* [{page.severity}] {page.title}",
            },
        },
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"{page.status} - <{page.url}|open in IMAS>"}],
        },
    ]


class SlackChannel(Channel):
    kind = "slack"

    async def send(self, session: AsyncSession, target: str, page: Page) -> str:
        """Returns `<channel>:<ts>` of the message posted."""
        with acting_in(session, page.organization_id):
            config = await repository.active_config(session)
        if config is None:
            raise ChannelError("Slack is not configured (or is disabled) for this organization")
        try:
            slack = await client.client_for(config, self.settings)
            channel = target.strip()
            if "@" in channel:
                channel = await client.user_id_by_email(slack, channel)
            posted = await client.call(
                slack, "chat.postMessage", channel=channel, text=page.text, blocks=_blocks(page)
            )
        except SlackError as exc:
            raise ChannelError(str(exc)) from exc
        return f"{posted.get('channel', channel)}:{posted.get('ts', '')}"
