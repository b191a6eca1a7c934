"""The Slack jobs: post or update an incident's message, open its war room.

Both may run twice (at least once): the message job holds its row locked while it talks to Slack
and posts only while no `ts` is stored, so two jobs of one incident never both post (a worker
that dies between Slack's answer and the commit does leave a second message on its retry: Slack
offers no idempotency key). The war-room job does nothing once the incident has a war room, and
takes the existing channel when Slack says its name is taken (a retry after such a death).
"""

from __future__ import annotations

import uuid
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from imas.integrations.common import record_link
from imas.integrations.slack import blocks, client, repository
from imas.integrations.slack.exceptions import SlackError
from imas.integrations.slack.outbox import MESSAGE_JOB, WAR_ROOM_JOB
from imas.jobs.registry import JobContext, PermanentFailure, handler

WAR_ROOM_URL = "https://slack.com/app_redirect?channel={channel}"
_LIST_PAGES = 20


def war_room_name(short_id: str) -> str:
    """`INC-A1B2C3` -> `inc-a1b2c3` (Slack channel names: lower case, no spaces)."""
    return short_id.lower()


async def _bind(session: AsyncSession, ctx: JobContext) -> None:
    session.info["organization_id"] = ctx.organization_id


def _failed(exc: SlackError) -> Exception:
    return PermanentFailure(str(exc)) if exc.permanent else exc


@handler(MESSAGE_JOB)
async def sync_message(ctx: JobContext, payload: dict[str, Any]) -> None:
    incident_id = uuid.UUID(str(payload["incident_id"]))
    async with ctx.db.transaction() as session:
        await _bind(session, ctx)
        config = await repository.active_config(session)
        message = await repository.lock_message(session, incident_id)
        incident = await repository.incident(session, incident_id)
        if config is None or message is None or incident is None:
            return  # Slack was disconnected, or the incident deleted, meanwhile
        content = {
            "text": blocks.headline(incident),
            "blocks": blocks.incident_blocks(
                incident, await repository.service_name(session, incident.service_id)
            ),
        }
        try:
            slack = await client.client_for(config, ctx.settings)
            if message.ts is None:
                posted = await client.call(
                    slack, "chat.postMessage", channel=message.channel, **content
                )
                message.channel = str(posted.get("channel") or message.channel)
                message.ts = str(posted["ts"])
            else:
                await client.call(
                    slack, "chat.update", channel=message.channel, ts=message.ts, **content
                )
        except SlackError as exc:
            raise _failed(exc) from exc


async def _channel_named(slack: AsyncWebClient, name: str) -> str | None:
    cursor = ""
    for _ in range(_LIST_PAGES):
        page = await client.call(
            slack,
            "conversations.list",
            exclude_archived=True,
            limit=1000,
            types="public_channel",
            cursor=cursor or None,
        )
        for channel in page.get("channels") or []:
            if channel.get("name") == name:
                return str(channel["id"])
        cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            return None
    return None


@handler(WAR_ROOM_JOB)
async def open_war_room(ctx: JobContext, payload: dict[str, Any]) -> None:
    incident_id = uuid.UUID(str(payload["incident_id"]))
    async with ctx.db.transaction() as session:
        await _bind(session, ctx)
        config = await repository.active_config(session)
        incident = await repository.lock_incident(session, incident_id)
        if config is None or incident is None or incident.war_room_link:
            return
        name = war_room_name(incident.short_id)
        try:
            slack = await client.client_for(config, ctx.settings)
            try:
                created = await client.call(slack, "conversations.create", name=name)
                channel_id: str | None = str(created["channel"]["id"])
            except SlackError as exc:
                if exc.error != "name_taken":
                    raise
                channel_id = await _channel_named(slack, name)
                if channel_id is None:
                    raise PermanentFailure(
                        f"a Slack channel #{name} exists but this app cannot see it"
                    ) from exc
            service = await repository.service_name(session, incident.service_id)
            await client.call(
                slack,
                "chat.postMessage",
                channel=channel_id,
                text=f"War room of {blocks.headline(incident)}",
                blocks=blocks.incident_blocks(incident, service),
            )
        except SlackError as exc:
            raise _failed(exc) from exc
        link = WAR_ROOM_URL.format(channel=channel_id)
        await record_link(
            session, incident, "war_room_link", link, f"War room #{name} opened in Slack"
        )
        message = await repository.message_of(session, incident_id)
        if message is not None:
            message.war_room_channel = channel_id
