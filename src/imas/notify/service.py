"""Webhook subscriptions: create (the secret shown once), change, delete, and their statistics."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.db import utcnow
from imas.notify import crypto, destinations, repository
from imas.notify.models import DeliveryStatus, WebhookSubscription
from imas.notify.schemas import SubscriptionCreate, SubscriptionStats, SubscriptionUpdate
from imas.repository import get_or_404

THING = "webhook subscription"


async def get_subscription(
    session: AsyncSession, subscription_id: uuid.UUID
) -> WebhookSubscription:
    return await get_or_404(session, WebhookSubscription, subscription_id, THING)


async def create_subscription(
    session: AsyncSession, data: SubscriptionCreate, settings: Settings
) -> tuple[WebhookSubscription, str]:
    """The new subscription and its signing secret (stored encrypted; never shown again)."""
    await destinations.check_field("url", data.url, settings.webhook_allow_private)
    secret = crypto.new_secret()
    now = utcnow()
    subscription = WebhookSubscription(
        name=data.name,
        url=data.url,
        events=[str(e) for e in data.events],
        headers=dict(data.headers),
        timeout_seconds=data.timeout_seconds,
        max_retries=data.max_retries,
        is_active=data.is_active,
        secret_encrypted=crypto.encrypt(secret, settings.secret_key),
        created_at=now,
        updated_at=now,
    )
    session.add(subscription)
    await session.flush()
    repository.forget_listeners(session)
    return subscription, secret


async def update_subscription(
    session: AsyncSession,
    subscription: WebhookSubscription,
    data: SubscriptionUpdate,
    settings: Settings,
) -> WebhookSubscription:
    """Change the fields sent. Deliveries not yet made go to the new URL, with the new headers."""
    if data.url is not None:
        await destinations.check_field("url", data.url, settings.webhook_allow_private)
        subscription.url = data.url
    if data.name is not None:
        subscription.name = data.name
    if data.events is not None:
        subscription.events = [str(e) for e in data.events]
    if data.headers is not None:
        subscription.headers = dict(data.headers)
    if data.timeout_seconds is not None:
        subscription.timeout_seconds = data.timeout_seconds
    if data.max_retries is not None:
        subscription.max_retries = data.max_retries
    if data.is_active is not None:
        subscription.is_active = data.is_active
    await session.flush()
    repository.forget_listeners(session)
    return subscription


async def delete_subscription(session: AsyncSession, subscription: WebhookSubscription) -> None:
    """Its deliveries go with it; a delivery job still queued then finds nothing to do."""
    await session.delete(subscription)
    await session.flush()
    repository.forget_listeners(session)


async def stats(session: AsyncSession, subscription: WebhookSubscription) -> SubscriptionStats:
    totals = await repository.totals(session, subscription.id)
    count = totals.by_status.get
    successful = count(DeliveryStatus.SUCCESS, 0)
    failed = count(DeliveryStatus.FAILED, 0)
    dead = count(DeliveryStatus.DEAD, 0)
    pending = count(DeliveryStatus.PENDING, 0)
    attempted = successful + failed + dead
    average = totals.average_response_ms
    return SubscriptionStats(
        subscription_id=subscription.id,
        total_deliveries=sum(totals.by_status.values()),
        successful_deliveries=successful,
        failed_deliveries=failed + dead,
        pending_deliveries=pending,
        dead_deliveries=dead,
        success_rate=round(successful / attempted, 3) if attempted else None,
        average_response_time=round(average) if average is not None else None,
        last_delivery_at=totals.last_attempt_at,
        events_by_type=dict(sorted(totals.by_event_type.items())),
    )
