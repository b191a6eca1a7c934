"""Rule evaluation, kept by the durable job runner: an enabled rule has exactly one pending
evaluation job, due `interval` after the last one. Each run evaluates the rule and plans the next
from max(now, due): a runner that was down evaluates once when it comes back (no catch-up storm).
Changing the rule bumps `schedule_version`, which turns the queued job into a no-op; the job
runner's lease makes one evaluation of a rule run at a time."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from imas.jobs.queue import enqueue
from imas.telemetry.models import Rule

EVALUATE_JOB = "telemetry.evaluate"


async def arm(session: AsyncSession, rule: Rule, now: datetime) -> None:
    """(Re)plan the rule's next evaluation after a change: at once, then every interval."""
    rule.schedule_version = (rule.schedule_version or 0) + 1
    await session.flush()
    await plan_at(session, rule, now)


async def plan_at(session: AsyncSession, rule: Rule, at: datetime) -> None:
    if not rule.enabled:
        rule.next_evaluation_at = None
        return
    rule.next_evaluation_at = at
    await enqueue(
        session,
        EVALUATE_JOB,
        {"rule_id": str(rule.id), "version": rule.schedule_version, "at": at.isoformat()},
        run_at=at,
        max_attempts=3,
    )


async def plan_next(session: AsyncSession, rule: Rule, due: datetime, now: datetime) -> None:
    await plan_at(session, rule, max(now, due) + timedelta(seconds=rule.interval_seconds))


def payload_ok(rule: Rule | None, payload: dict[str, object]) -> bool:
    return (
        rule is not None and rule.enabled and rule.schedule_version == int(str(payload["version"]))
    )


def rule_id_of(payload: dict[str, object]) -> uuid.UUID:
    return uuid.UUID(str(payload["rule_id"]))
