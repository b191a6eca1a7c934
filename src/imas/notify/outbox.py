"""Events -> webhook deliveries, in the transaction of the change (the outbox).

For each active subscription of the organization that listens to the event, one delivery row
(the envelope, `pending`) and one job to send it (`notify.webhook`, with as many attempts as the
subscription allows) join the caller's transaction: committed with the change, or never.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import new_id
from imas.events import Event, EventType, sink
from imas.events.bus import MakeEvent
from imas.jobs.queue import enqueue
from imas.notify import repository
from imas.notify.models import DeliveryStatus, WebhookDelivery

DELIVERY_JOB = "notify.webhook"
ENVELOPE_KEYS = ("event_id", "event_type", "type", "event", "timestamp", "data")


def envelope(event: Event) -> dict[str, Any]:
    """One body for the receivers of all three seeds: `event_type` (seed 001), `type` (seed 003)
    and `event` (seed 002) carry the same name."""
    name = str(event.type)
    return {
        "event_id": str(event.id),
        "event_type": name,
        "type": name,
        "event": name,
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }


def body_of(stored: dict[str, Any]) -> bytes:
    """The bytes sent (and signed): the stored envelope, keys in the documented order."""
    ordered = {key: stored.get(key) for key in ENVELOPE_KEYS}
    return json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).encode()


@sink
async def to_webhooks(session: AsyncSession, event_type: EventType, make: MakeEvent) -> None:
    subscriptions = await repository.listening(session, event_type)
    if not subscriptions:
        return
    event = await make()
    body = envelope(event)
    for subscription in subscriptions:
        delivery_id = new_id()
        job = await enqueue(
            session,
            DELIVERY_JOB,
            {"delivery_id": str(delivery_id)},
            max_attempts=subscription.max_retries + 1,
        )
        session.add(
            WebhookDelivery(
                id=delivery_id,
                subscription_id=subscription.id,
                event_id=event.id,
                event_type=str(event.type),
                payload=body,
                status=DeliveryStatus.PENDING,
                job_id=job.id,
                created_at=event.occurred_at,
                updated_at=event.occurred_at,
            )
        )
    await session.flush()
