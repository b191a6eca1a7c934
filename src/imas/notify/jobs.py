"""The delivery job: send one event to one subscription, signed; record the attempt.

At least once: a failed attempt (an answer other than 2xx, a network error, a timeout) raises,
so the job runner tries again after its backoff, up to the subscription's `max_retries` more
times; the last failure leaves the delivery `dead`. A URL that now leads to a forbidden address
(the SSRF guard; DNS may have changed since the subscription was saved) is `dead` at once.

Idempotent: a job that runs again (its worker died after sending) first looks whether the
delivery already succeeded, and never records a second success for one event. The event id goes
out as `webhook-id`, so a receiver can drop the rare duplicate a crash at the wrong moment causes.
A success is recorded and its job completed in one transaction.

A job that dies without its handler having settled the delivery - its worker killed, or shut
down past the grace period, during the last attempt; an unexpected error in the last attempt -
leaves the delivery `dead` too, with that attempt recorded and why (`settle_dead`); it is never
left pending. (Whether such an attempt reached the receiver is unknown: it may have.)

Deliveries running together are read together and their successes recorded together (one query,
one transaction: `imas.jobs.batching`), and connections to receivers are kept alive while a
worker runs (`sender.connections`).
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

import httpx
from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession

from imas import __version__
from imas.db import Database, utcnow
from imas.jobs import registry
from imas.jobs.batching import Coalescer
from imas.jobs.registry import JobContext, PermanentFailure
from imas.jobs.store import Dead
from imas.notify import crypto, destinations, recording, repository, sender, signing
from imas.notify.models import (
    AttemptOutcome,
    DeliveryStatus,
    WebhookDelivery,
)
from imas.notify.outbox import DELIVERY_JOB, body_of
from imas.notify.sender import Outcome

registry.resource(sender.connections)


class DeliveryFailed(Exception):
    """This attempt failed; the job runner retries after its backoff."""


@dataclass(frozen=True)
class _Work:
    delivery: repository.DeliveryToSend
    subscription: repository.SubscriptionToSend


async def _load(ctx: JobContext, delivery_id: uuid.UUID) -> _Work | None:
    return await _batches(ctx.db).load((ctx.organization_id, delivery_id))


async def _load_many(db: Database, wanted: list[tuple[uuid.UUID, uuid.UUID]]) -> list[_Work | None]:
    """The loads of the deliveries that start together, in one query."""
    async with db.engine.connect() as conn:
        if db.dialect == "postgresql":  # one statement: no BEGIN and ROLLBACK around it
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        found = await repository.many_to_send(conn, wanted)
    out: list[_Work | None] = []
    for key in wanted:
        sendable = found.get(key)
        out.append(None if sendable is None else _Work(sendable.delivery, sendable.subscription))
    return out


@dataclass
class _Batches:
    """The loads and the success records of one worker's concurrent deliveries, each grouped
    into one round trip (`imas.jobs.batching`), per event loop and database."""

    load: Coalescer[tuple[uuid.UUID, uuid.UUID], _Work | None]
    succeed: Coalescer[recording.Success, None]


_BATCHES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Database, _Batches]] = (
    weakref.WeakKeyDictionary()
)


def _batches(db: Database) -> _Batches:
    of_loop = _BATCHES.setdefault(asyncio.get_running_loop(), {})
    batches = of_loop.get(db)
    if batches is None:
        batches = of_loop[db] = _Batches(
            load=Coalescer(lambda wanted: _load_many(db, wanted)),
            succeed=Coalescer(lambda successes: recording.record_successes(db, successes)),
        )
    return batches


async def _give_up(ctx: JobContext, delivery_id: uuid.UUID, reason: str) -> NoReturn:
    outcome = Outcome(False, 0, error=reason)
    await recording.record(
        ctx, delivery_id, outcome, DeliveryStatus.DEAD, AttemptOutcome.REFUSED, utcnow()
    )
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
        await _batches(ctx.db).succeed(recording.Success(ctx, delivery_id, outcome, started_at))
        return
    status = DeliveryStatus.DEAD if ctx.last_attempt else DeliveryStatus.FAILED
    await recording.record(ctx, delivery_id, outcome, status, AttemptOutcome.FAILED, started_at)
    raise DeliveryFailed(outcome.error or "delivery failed")


@registry.on_dead(DELIVERY_JOB)
async def settle_dead(session: AsyncSession, job: Dead) -> None:
    """The delivery of a job that died without its handler settling it: `dead`, with the last
    attempt recorded as failed and why. Nothing changes if the handler had settled it (a
    success, or a `dead` it recorded itself)."""
    delivery_id = uuid.UUID(str(job.payload["delivery_id"]))
    now = utcnow()
    changed: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status.not_in([DeliveryStatus.SUCCESS, DeliveryStatus.DEAD]),
        )
        .values(
            status=DeliveryStatus.DEAD,
            attempts=WebhookDelivery.attempts + 1,
            last_attempt_at=now,
            response_code=None,
            response_body=None,
            error=job.error,
            duration_ms=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount == 1:
        outcome = Outcome(False, _elapsed_ms(job.started_at, now), error=job.error)
        attempt = recording.attempt_row(
            job.organization_id,
            delivery_id,
            job.attempts,
            AttemptOutcome.FAILED,
            outcome,
            job.started_at or now,
        )
        await session.execute(recording.ATTEMPT_IF_STILL_THERE, attempt)


def _elapsed_ms(started_at: datetime | None, now: datetime) -> int:
    return 0 if started_at is None else max(0, int((now - started_at).total_seconds() * 1000))
