"""The record of delivery attempts: the delivery's new state and the attempt itself.

Statements built once, with the organization in each (a worker has no org session): they run
for every attempt. Successes that come in together are recorded together (`record_successes`):
one transaction, each statement run for all of them, their jobs completed in it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, insert, select, update

from imas.db import Database, new_id, utcnow
from imas.jobs import registry
from imas.jobs.registry import JobContext
from imas.notify import repository
from imas.notify.models import AttemptOutcome, DeliveryStatus, WebhookAttempt
from imas.notify.sender import Outcome

_D = repository.DELIVERIES.c
_NEW_STATE = (
    update(repository.DELIVERIES)
    .where(
        _D.id == bindparam("delivery_id"),
        _D.organization_id == bindparam("org"),
        _D.status != DeliveryStatus.SUCCESS,
    )
    .values(
        status=bindparam("status"),
        attempts=_D.attempts + 1,
        last_attempt_at=bindparam("now"),
        response_code=bindparam("response_code"),
        response_body=bindparam("response_body"),
        error=bindparam("error"),
        duration_ms=bindparam("duration_ms"),
        updated_at=bindparam("now"),
        delivered_at=bindparam("delivered_at"),
    )
)
_ATTEMPTS = cast(Table, WebhookAttempt.__table__)
_ATTEMPT_COLUMNS = (
    "id",
    "organization_id",
    "delivery_id",
    "number",
    "outcome",
    "response_code",
    "response_body",
    "error",
    "duration_ms",
    "started_at",
)
ATTEMPT_IF_STILL_THERE = insert(_ATTEMPTS).from_select(
    list(_ATTEMPT_COLUMNS),
    select(*(bindparam(name, type_=_ATTEMPTS.c[name].type) for name in _ATTEMPT_COLUMNS)).where(
        exists().where(_D.id == bindparam("delivery_id"))
    ),
)


def _state(
    ctx: JobContext,
    delivery_id: uuid.UUID,
    outcome: Outcome,
    status: DeliveryStatus,
    now: datetime,
) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "org": ctx.organization_id,
        "status": status,
        "now": now,
        "response_code": outcome.response_code,
        "response_body": outcome.response_body,
        "error": outcome.error,
        "duration_ms": outcome.duration_ms,
        "delivered_at": now if status == DeliveryStatus.SUCCESS else None,
    }


def attempt_row(
    organization_id: uuid.UUID,
    delivery_id: uuid.UUID,
    number: int,
    kind: AttemptOutcome,
    outcome: Outcome,
    started_at: datetime,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "organization_id": organization_id,
        "delivery_id": delivery_id,
        "number": number,
        "outcome": kind,
        "response_code": outcome.response_code,
        "response_body": outcome.response_body,
        "error": outcome.error,
        "duration_ms": outcome.duration_ms,
        "started_at": started_at,
    }


async def record(
    ctx: JobContext,
    delivery_id: uuid.UUID,
    outcome: Outcome,
    status: DeliveryStatus,
    kind: AttemptOutcome,
    started_at: datetime,
) -> None:
    """The attempt, and the delivery's new state - unless it already succeeded (then only the
    attempt: it happened, but the event counts as delivered once), and nothing if the delivery
    is gone with its subscription. A success completes the job in the same transaction."""
    state = _state(ctx, delivery_id, outcome, status, utcnow())
    attempt = attempt_row(ctx.organization_id, delivery_id, ctx.attempt, kind, outcome, started_at)
    async with ctx.db.write_engine.begin() as conn:
        await conn.execute(_NEW_STATE, state)
        await conn.execute(ATTEMPT_IF_STILL_THERE, attempt)
        if status == DeliveryStatus.SUCCESS:
            await ctx.succeed_in(conn)


@dataclass(frozen=True)
class Success:
    ctx: JobContext
    delivery_id: uuid.UUID
    outcome: Outcome
    started_at: datetime


async def record_successes(db: Database, successes: list[Success]) -> list[None]:
    """`record` of the successes that come in together, in one transaction, each statement
    run for all of them at once: the deliveries' new state (unless one had succeeded already),
    their attempts (unless the delivery is gone with its subscription), their jobs completed."""
    now = utcnow()
    states, attempts = [], []
    for success in successes:
        ctx, outcome = success.ctx, success.outcome
        states.append(_state(ctx, success.delivery_id, outcome, DeliveryStatus.SUCCESS, now))
        attempts.append(
            attempt_row(
                ctx.organization_id,
                success.delivery_id,
                ctx.attempt,
                AttemptOutcome.SUCCESS,
                outcome,
                success.started_at,
            )
        )
    async with db.write_engine.begin() as conn:
        await conn.execute(_NEW_STATE, states)
        await conn.execute(ATTEMPT_IF_STILL_THERE, attempts)
        await registry.succeed_all_in(conn, [success.ctx for success in successes])
    return [None] * len(successes)
