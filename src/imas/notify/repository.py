"""Queries of webhook subscriptions and deliveries (org-scoped by the session's tenancy guard)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
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


_ACTIVE = "notify.active_subscriptions"


async def listening(session: AsyncSession, event_type: str) -> list[WebhookSubscription]:
    """The organization's active subscriptions to `event_type`. (An organization has a handful
    of subscriptions: the event list is matched here rather than with each dialect's JSON
    operators.) Read once per transaction and organization: a transaction that emits many
    events (an alert post) asks once; changing a subscription forgets it (`forget_listeners`)."""
    known: dict[Any, list[WebhookSubscription]] = session.info.setdefault(_ACTIVE, {})
    org = session.info.get("organization_id")
    if org not in known:
        active = await session.scalars(
            select(WebhookSubscription).where(WebhookSubscription.is_active.is_(True))
        )
        known[org] = list(active.all())
    return [s for s in known[org] if event_type in (s.events or [])]


def forget_listeners(session: AsyncSession) -> None:
    session.info.pop(_ACTIVE, None)


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


@dataclass(frozen=True)
class Sendable:
    """What a delivery attempt needs of a delivery and its subscription, read in one query."""

    delivery: DeliveryToSend
    subscription: SubscriptionToSend


@dataclass(frozen=True)
class DeliveryToSend:
    id: uuid.UUID
    status: str
    payload: dict[str, Any]
    event_id: uuid.UUID
    event_type: str


@dataclass(frozen=True)
class SubscriptionToSend:
    url: str
    headers: dict[str, Any]
    timeout_seconds: int
    is_active: bool
    secret_encrypted: str


DELIVERIES = cast(Table, WebhookDelivery.__table__)
SUBSCRIPTIONS = cast(Table, WebhookSubscription.__table__)
_D = DELIVERIES.c
_S = SUBSCRIPTIONS.c
_SENDABLE = (
    select(
        _D.organization_id,
        _D.id,
        _D.status,
        _D.payload,
        _D.event_id,
        _D.event_type,
        _S.url,
        _S.headers,
        _S.timeout_seconds,
        _S.is_active,
        _S.secret_encrypted,
    )
    .select_from(DELIVERIES)
    .join(SUBSCRIPTIONS, _S.id == _D.subscription_id)
)
# A delivery worker's own read (no org session: the organization is in the statement), built
# once: it runs for every batch of deliveries.
_MANY_TO_SEND = _SENDABLE.where(
    _D.id.in_(bindparam("ids", expanding=True)),
    _D.organization_id.in_(bindparam("orgs", expanding=True)),
)
# (Not `(organization_id, id) IN (...)`: SQLite answers that with a scan of every delivery.)


def _sendable(row: Any) -> Sendable:
    return Sendable(
        DeliveryToSend(row.id, row.status, row.payload, row.event_id, row.event_type),
        SubscriptionToSend(
            row.url, row.headers, row.timeout_seconds, row.is_active, row.secret_encrypted
        ),
    )


async def many_to_send(
    conn: AsyncConnection, wanted: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], Sendable]:
    """Deliveries with their subscriptions, by (organization id, delivery id); a delivery
    that is gone (or is not of that organization) is missing."""
    params = {"ids": [d for _, d in wanted], "orgs": list({o for o, _ in wanted})}
    rows = await conn.execute(_MANY_TO_SEND, params)
    wanted_pairs = set(wanted)
    found = {(row.organization_id, row.id): _sendable(row) for row in rows}
    return {pair: sendable for pair, sendable in found.items() if pair in wanted_pairs}


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
