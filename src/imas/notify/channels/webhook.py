"""Webhook pages: the page as JSON, POSTed to the person's URL through the same SSRF guard and
sender as outbound webhooks (`imas.notify.destinations`, `imas.notify.sender`)."""

from __future__ import annotations

import dataclasses
import json
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from imas.notify import destinations, sender
from imas.notify.channels.base import Channel, ChannelError, Page

TIMEOUT_SECONDS = 10.0


def body_of(page_id: str, page: Page) -> bytes:
    fields = {k: str(v) for k, v in dataclasses.asdict(page).items()}
    return json.dumps({"page_id": page_id, **fields}, separators=(",", ":")).encode()


class WebhookChannel(Channel):
    kind = "webhook"

    async def send(self, session: AsyncSession, target: str, page: Page) -> str:
        page_id = str(uuid.uuid4())
        try:
            checked = await destinations.target(target, self.settings.webhook_allow_private)
        except (destinations.DestinationRefused, destinations.DestinationUnresolvable) as exc:
            raise ChannelError(str(exc)) from exc
        headers = httpx.Headers(
            {"Content-Type": "application/json", "X-IMAS-Page-Id": page_id, "User-Agent": "IMAS"}
        )
        body = body_of(page_id, page)
        outcome = await sender.send(target, body, headers, TIMEOUT_SECONDS, checked)
        if not outcome.ok:
            raise ChannelError(outcome.error or "the receiver refused the page")
        return page_id
