"""`/api/v1/webhook-subscriptions/`: outbound webhook subscriptions, their deliveries and
statistics, and the catalogue of event names (seed 001, "Webhook Management")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.api.deps import SessionDep, SettingsDep, require
from imas.api.pagination import MAX_PAGE_SIZE, Page, PageParams, page_params, paginate
from imas.auth.scopes import WEBHOOK_READ, WEBHOOK_WRITE
from imas.auth.service import Principal
from imas.events import CATALOGUE, EventType
from imas.notify import repository, service
from imas.notify.models import AttemptOutcome, DeliveryStatus, WebhookDelivery, WebhookSubscription
from imas.notify.schemas import (
    AttemptRead,
    DeliveryRead,
    EventTypeRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionStats,
    SubscriptionUpdate,
)

router = APIRouter(prefix="/api/v1/webhook-subscriptions", tags=["webhooks"])
Reader = Annotated[Principal, Depends(require(WEBHOOK_READ))]
Writer = Annotated[Principal, Depends(require(WEBHOOK_WRITE))]


def _read(subscription: WebhookSubscription) -> SubscriptionRead:
    return SubscriptionRead.model_validate(subscription)


@router.get("/events/", response_model=Page[EventTypeRead], summary="The event names")
async def list_events(_: Reader) -> Page[EventTypeRead]:
    results = [
        EventTypeRead(name=info.name, domain=info.domain, description=info.description)
        for info in CATALOGUE
    ]
    return Page[EventTypeRead](count=len(results), next=None, previous=None, results=results)


@router.post(
    "/",
    response_model=SubscriptionCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe a URL to events (the signing secret is in this answer only)",
)
async def create_subscription(
    data: SubscriptionCreate, session: SessionDep, settings: SettingsDep, _: Writer
) -> SubscriptionCreated:
    subscription, secret = await service.create_subscription(session, data, settings)
    return SubscriptionCreated(**_read(subscription).model_dump(), secret=secret)


@router.get("/", response_model=Page[SubscriptionRead], summary="List webhook subscriptions")
async def list_subscriptions(
    request: Request,
    session: SessionDep,
    _: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    is_active: Annotated[bool | None, Query()] = None,
    search: Annotated[str | None, Query(description="In name and URL", max_length=200)] = None,
    ordering: Annotated[
        str | None, Query(description="-created_at (default), name, updated_at")
    ] = None,
) -> Page[SubscriptionRead]:
    stmt = repository.subscriptions(is_active=is_active, search=search, ordering=ordering)
    return await paginate(session, stmt, pages, request, _read)


@router.get("/{subscription_id}/", response_model=SubscriptionRead, summary="A subscription")
async def get_subscription(
    subscription_id: uuid.UUID, session: SessionDep, _: Reader
) -> SubscriptionRead:
    return _read(await service.get_subscription(session, subscription_id))


async def _update(
    subscription_id: uuid.UUID,
    data: SubscriptionUpdate,
    session: SessionDep,
    settings: SettingsDep,
) -> SubscriptionRead:
    found = await service.get_subscription(session, subscription_id)
    return _read(await service.update_subscription(session, found, data, settings))


@router.put(
    "/{subscription_id}/",
    response_model=SubscriptionRead,
    summary="Change the fields given (same as PATCH, as seed 001 does)",
)
async def put_subscription(
    subscription_id: uuid.UUID,
    data: SubscriptionUpdate,
    session: SessionDep,
    settings: SettingsDep,
    _: Writer,
) -> SubscriptionRead:
    return await _update(subscription_id, data, session, settings)


@router.patch("/{subscription_id}/", response_model=SubscriptionRead, summary="Change some fields")
async def patch_subscription(
    subscription_id: uuid.UUID,
    data: SubscriptionUpdate,
    session: SessionDep,
    settings: SettingsDep,
    _: Writer,
) -> SubscriptionRead:
    return await _update(subscription_id, data, session, settings)


@router.delete(
    "/{subscription_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a subscription and its delivery history",
)
async def delete_subscription(
    subscription_id: uuid.UUID, session: SessionDep, _: Writer
) -> Response:
    await service.delete_subscription(
        session, await service.get_subscription(session, subscription_id)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{subscription_id}/deliveries/",
    response_model=Page[DeliveryRead],
    summary="Deliveries, newest first, each with its attempts",
)
async def list_deliveries(
    request: Request,
    subscription_id: uuid.UUID,
    session: SessionDep,
    _: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    event_type: Annotated[EventType | None, Query()] = None,
    limit: Annotated[
        int | None,
        Query(ge=1, description=f"Seed 001's name for page_size (at most {MAX_PAGE_SIZE})"),
    ] = None,
) -> Page[DeliveryRead]:
    await service.get_subscription(session, subscription_id)
    if limit is not None:
        pages = PageParams(page=pages.page, page_size=min(limit, MAX_PAGE_SIZE))
    stmt = repository.deliveries(subscription_id, status_, event_type)
    page = await paginate(session, stmt, pages, request, lambda d: d)
    rows: list[WebhookDelivery] = list(page.results)
    retries = await repository.next_runs(
        session, [d.job_id for d in rows if d.job_id and d.status == DeliveryStatus.FAILED]
    )
    return Page[DeliveryRead](
        count=page.count,
        next=page.next,
        previous=page.previous,
        results=[_delivery(d, retries.get(d.job_id) if d.job_id else None) for d in rows],
    )


def _delivery(delivery: WebhookDelivery, next_retry_at: datetime | None) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id,
        subscription_id=delivery.subscription_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        status=DeliveryStatus(delivery.status),
        attempts=delivery.attempts,
        last_attempt_at=delivery.last_attempt_at,
        next_retry_at=next_retry_at,
        response_status=delivery.response_code,
        response_body=delivery.response_body,
        error_message=delivery.error,
        duration_ms=delivery.duration_ms,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
        payload=delivery.payload,
        attempt_log=[
            AttemptRead(
                number=a.number,
                outcome=AttemptOutcome(a.outcome),
                response_status=a.response_code,
                response_body=a.response_body,
                error_message=a.error,
                duration_ms=a.duration_ms,
                started_at=a.started_at,
            )
            for a in delivery.attempt_log
        ],
    )


@router.get(
    "/{subscription_id}/stats/", response_model=SubscriptionStats, summary="Delivery statistics"
)
async def subscription_stats(
    subscription_id: uuid.UUID, session: SessionDep, _: Reader
) -> SubscriptionStats:
    return await service.stats(session, await service.get_subscription(session, subscription_id))
