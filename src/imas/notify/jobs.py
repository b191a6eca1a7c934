"""The delivery job: send one event to one subscription, signed; record the attempt.

At least once: a failed attempt (an answer other than 2xx, a network error, a timeout) raises,
so the job runner tries again after its backoff, up to the subscription's `max_retries` more
times; the last failure leaves the delivery `dead`. A URL that now leads to a forbidden address
(the SSRF guard; DNS may have changed since the subscription was saved) is `dead` at once.

Idempotent: a job that runs again (its worker died after sending) first looks whether the
delivery already succeeded, and never records a second success for one event. The event id goes
out as `webhook-id`, so a receiver can drop the rare duplicate a crash at the wrong moment causes.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

import httpx
from sqlalchemy import CursorResult, update

from imas import __version__
from imas.db import utcnow
from imas.jobs import registry
from imas.jobs.registry import JobContext, PermanentFailure
from imas.notify import crypto, destinations, repository, sender, signing
from imas.notify.models import (
    AttemptOutcome,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from imas.notify.outbox import DELIVERY_JOB, body_of
from imas.notify.sender import Outcome


class DeliveryFailed(Exception):
    """This attempt failed; the job runner retries after its backoff."""


@dataclass(frozen=True)
class _Work:
    delivery: WebhookDelivery
    subscription: WebhookSubscription


async def _load(ctx: JobContext, delivery_id: uuid.UUID) -> _Work | None:
    async with ctx.db.transaction(write=False) as session:
        session.info["organization_id"] = ctx.organization_id
        delivery = await repository.delivery(session, delivery_id)
        if delivery is None:
            return None
        subscription = await repository.subscription(session, delivery.subscription_id)
    return None if subscription is None else _Work(delivery, subscription)


async def _record(
    ctx: JobContext,
    delivery_id: uuid.UUID,
    outcome: Outcome,
    status: DeliveryStatus,
    kind: AttemptOutcome,
    started_at: datetime,
) -> None:
    """The attempt, and the delivery's new state - unless it already succeeded (then only the
    attempt: it happened, but the event counts as delivered once)."""
    now = utcnow()
    values: dict[str, object] = {
        "status": status,
        "attempts": WebhookDelivery.attempts + 1,
        "last_attempt_at": now,
        "response_code": outcome.response_code,
        "response_body": outcome.response_body,
        "error": outcome.error,
        "duration_ms": outcome.duration_ms,
        "updated_at": now,
    }
    if status == DeliveryStatus.SUCCESS:
        values["delivered_at"] = now
    async with ctx.db.transaction() as session:
        session.info["organization_id"] = ctx.organization_id
        changed: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status != DeliveryStatus.SUCCESS,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount == 0 and await repository.delivery(session, delivery_id) is None:
            return  # deleted with its subscription meanwhile
        session.add(
            WebhookAttempt(
                organization_id=ctx.organization_id,
                delivery_id=delivery_id,
                number=ctx.attempt,
                outcome=kind,
                response_code=outcome.response_code,
                response_body=outcome.response_body,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
                started_at=started_at,
            )
        )


async def _give_up(ctx: JobContext, delivery_id: uuid.UUID, reason: str) -> NoReturn:
    outcome = Outcome(False, 0, error=reason)
    await _record(ctx, delivery_id, outcome, DeliveryStatus.DEAD, AttemptOutcome.REFUSED, utcnow())
    raise PermanentFailure(reason)


def _headers(work: _Work, secret: str, body: bytes) -> httpx.Headers:
    delivery = work.delivery
    out = httpx.Headers(
        {
            "Content-Type": "application/json",
            "User-Agent": f"IMAS-Webhooks/{__version__}",
            "X-IMAS-Delivery": str(delivery.id),
            "X-IMAS-Event": delivery.event_type,
        }
    )
    out.update({str(k): str(v) for k, v in (work.subscription.headers or {}).items()})
    out.update(signing.headers(secret, str(delivery.event_id), int(time.time()), body))
    return out


@registry.handler(DELIVERY_JOB)
async def deliver(ctx: JobContext, payload: dict[str, object]) -> None:
    delivery_id = uuid.UUID(str(payload["delivery_id"]))
    work = await _load(ctx, delivery_id)
    if work is None or work.delivery.status == DeliveryStatus.SUCCESS:
        return  # its subscription is gone, or it was delivered already
    subscription = work.subscription
    if not subscription.is_active:
        await _give_up(ctx, delivery_id, "the subscription was deactivated")
    try:
        secret = crypto.decrypt(subscription.secret_encrypted, ctx.settings.secret_key)
    except crypto.SecretUnreadable as exc:
        await _give_up(ctx, delivery_id, str(exc))
    body = body_of(work.delivery.payload)
    started_at = utcnow()
    started = time.perf_counter()
    try:
        target = await destinations.target(subscription.url, ctx.settings.webhook_allow_private)
    except destinations.DestinationRefused as exc:
        await _give_up(ctx, delivery_id, str(exc))
    except destinations.DestinationUnresolvable as exc:
        elapsed = int((time.perf_counter() - started) * 1000)
        outcome = Outcome(False, elapsed, error=str(exc))
    else:
        outcome = await sender.send(
            subscription.url,
            body,
            _headers(work, secret, body),
            subscription.timeout_seconds,
            target,
        )
    if outcome.ok:
        await _record(
            ctx, delivery_id, outcome, DeliveryStatus.SUCCESS, AttemptOutcome.SUCCESS, started_at
        )
        return
    status = DeliveryStatus.DEAD if ctx.last_attempt else DeliveryStatus.FAILED
    await _record(ctx, delivery_id, outcome, status, AttemptOutcome.FAILED, started_at)
    raise DeliveryFailed(outcome.error or "delivery failed")
