"""Queries of webhook subscriptions and deliveries (org-scoped by the session's tenancy guard)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from imas.api.filtering import apply_ordering, apply_search
from imas.jobs.models import Job, JobStatus
from imas.notify.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

ORDERING = {
    "name": WebhookSubscription.name,
    "created_at": WebhookSubscription.created_at,
    "updated_at": WebhookSubscription.updated_at,
}


def subscriptions(
    is_active: bool | None = None, search: str | None = None, ordering: str | None = None
) -> Select[Any]:
    stmt = select(WebhookSubscription)
    if is_active is not None:
        stmt = stmt.where(WebhookSubscription.is_active == is_active)
    stmt = apply_search(stmt, search, [WebhookSubscription.name, WebhookSubscription.url])
    return apply_ordering(stmt, ordering, ORDERING, "-created_at", WebhookSubscription.id)


async def listening(session: AsyncSession, event_type: str) -> list[WebhookSubscription]:
    """The organization's active subscriptions to `event_type`. (An organization has a handful
    of subscriptions: the event list is matched here rather than with each dialect's JSON
    operators.)"""
    active = await session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.is_active.is_(True))
    )
    return [s for s in active.all() if event_type in (s.events or [])]


def deliveries(
    subscription_id: uuid.UUID,
    status: DeliveryStatus | None = None,
    event_type: str | None = None,
) -> Select[Any]:
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .options(selectinload(WebhookDelivery.attempt_log))
    )
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if event_type:
        stmt = stmt.where(WebhookDelivery.event_type == event_type)
    return stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())


async def next_runs(
    session: AsyncSession, job_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """When each of these jobs that waits to be retried runs next."""
    if not job_ids:
        return {}
    rows = await session.execute(
        select(Job.id, Job.run_at).where(Job.id.in_(job_ids), Job.status == JobStatus.QUEUED)
    )
    return {row.id: row.run_at for row in rows.all()}


async def delivery(session: AsyncSession, delivery_id: uuid.UUID) -> WebhookDelivery | None:
    return await session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id))


async def subscription(
    session: AsyncSession, subscription_id: uuid.UUID
) -> WebhookSubscription | None:
    return await session.scalar(
        select(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    )


@dataclass(frozen=True)
class Totals:
    by_status: dict[str, int]
    by_event_type: dict[str, int]
    average_response_ms: float | None
    last_attempt_at: datetime | None


async def totals(session: AsyncSession, subscription_id: uuid.UUID) -> Totals:
    mine = WebhookDelivery.subscription_id == subscription_id
    by_status = await session.execute(
        select(WebhookDelivery.status, func.count()).where(mine).group_by(WebhookDelivery.status)
    )
    by_type = await session.execute(
        select(WebhookDelivery.event_type, func.count())
        .where(mine)
        .group_by(WebhookDelivery.event_type)
    )
    answered = await session.scalar(
        select(func.avg(WebhookAttempt.duration_ms))
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
        .where(mine, WebhookAttempt.response_code.is_not(None))
    )
    last = await session.scalar(select(func.max(WebhookDelivery.last_attempt_at)).where(mine))
    return Totals(
        by_status={str(status): int(n) for status, n in by_status.all()},
        by_event_type={str(kind): int(n) for kind, n in by_type.all()},
        average_response_ms=float(answered) if answered is not None else None,
        last_attempt_at=last,
    )
