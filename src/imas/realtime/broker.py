"""The fan-out of one process: each WebSocket connection has a bounded queue, subscribed to its
organization's messages. A client too slow to keep up loses its connection (it reconnects and
reloads) rather than making the server hold an unbounded backlog for it."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import structlog

log = structlog.get_logger(__name__)

QUEUE_SIZE = 1000
CHANNEL = "imas_realtime"
"""The PostgreSQL NOTIFY channel that carries messages between IMAS processes."""


class Subscription:
    def __init__(self, organization_id: uuid.UUID) -> None:
        self.organization_id = organization_id
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.overflowed = asyncio.Event()


class Broker:
    def __init__(self) -> None:
        self._subscriptions: dict[uuid.UUID, set[Subscription]] = {}

    def subscribe(self, organization_id: uuid.UUID) -> Subscription:
        subscription = Subscription(organization_id)
        self._subscriptions.setdefault(organization_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        found = self._subscriptions.get(subscription.organization_id)
        if found is not None:
            found.discard(subscription)
            if not found:
                del self._subscriptions[subscription.organization_id]

    def listening(self, organization_id: uuid.UUID | None) -> bool:
        return organization_id in self._subscriptions

    def deliver(self, organization_id: uuid.UUID, message: dict[str, Any]) -> None:
        for subscription in list(self._subscriptions.get(organization_id, ())):
            try:
                subscription.queue.put_nowait(message)
            except asyncio.QueueFull:
                subscription.overflowed.set()

    def deliver_notification(self, payload: str) -> None:
        """A NOTIFY payload: a JSON list of `[organization_id, message]`."""
        try:
            for organization_id, message in json.loads(payload):
                self.deliver(uuid.UUID(organization_id), message)
        except (ValueError, TypeError) as exc:
            log.warning("realtime_bad_notification", error=str(exc))


BROKER = Broker()
"""The process's broker: the events sink publishes to it, the `/ws/` connections read it."""
