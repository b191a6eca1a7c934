"""Background work of the telemetry domain: rule evaluations and the retention sweep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import acting_in, utcnow
from imas.jobs.registry import JobContext, handler, on_dead
from imas.jobs.store import Dead
from imas.telemetry import repository
from imas.telemetry.service import retention, schedule
from imas.telemetry.service.evaluate import evaluate

log = structlog.get_logger("imas.telemetry")


@handler(schedule.EVALUATE_JOB)
async def evaluate_rule(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with ctx.db.transaction() as session:
        with acting_in(session, ctx.organization_id):
            await evaluate_in(session, payload, utcnow())
            await ctx.succeed_in(session)


async def evaluate_in(session: AsyncSession, payload: dict[str, Any], now: datetime) -> None:
    """Evaluate the rule (unless the job is stale), then plan the next evaluation."""
    rule = await repository.lock_rule(session, schedule.rule_id_of(payload))
    if rule is None or not schedule.payload_ok(rule, payload):
        return  # the rule changed, was disabled or deleted: a stale evaluation
    await evaluate(session, rule, now)
    await schedule.plan_next(session, rule, datetime.fromisoformat(str(payload["at"])), now)


@on_dead(schedule.EVALUATE_JOB)
async def evaluation_died(session: AsyncSession, job: Dead) -> None:
    """An evaluation kept failing: the rule's chain goes on from the next interval rather than
    stopping for good (the failure is in the job's record)."""
    with acting_in(session, job.organization_id):
        rule = await repository.lock_rule(session, schedule.rule_id_of(job.payload))
        if rule is None or not schedule.payload_ok(rule, job.payload):
            return
        log.warning("telemetry_evaluation_died", rule_id=str(rule.id), error=job.error)
        due = datetime.fromisoformat(str(job.payload["at"]))
        await schedule.plan_next(session, rule, due, utcnow())


@on_dead(retention.RETENTION_JOB)
async def sweep_died(session: AsyncSession, job: Dead) -> None:
    with acting_in(session, job.organization_id):
        row = await repository.lock_settings(session)
        if row is None or row.retention_version != int(job.payload["version"]):
            return
        log.warning("telemetry_retention_died", error=job.error)
        await retention.plan_next(
            session, row.retention_version, utcnow() + retention.RETENTION_EVERY
        )


@handler(retention.RETENTION_JOB)
async def sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
    await sweep_in(ctx, payload, utcnow())


async def sweep_in(ctx: JobContext, payload: dict[str, Any], now: datetime) -> int:
    """Delete the org's points older than its retention, a chunk of series per transaction,
    then plan the next sweep; returns how many points were deleted."""
    async with ctx.db.transaction(write=False) as session:
        with acting_in(session, ctx.organization_id):
            row = await repository.settings_row(session)
            if row is None or row.retention_version != int(payload["version"]):
                cutoff = None
            else:
                cutoff = retention.cutoff_ms(row, now)
    deleted, after = 0, 0
    while cutoff is not None and after >= 0:
        async with ctx.db.transaction() as session:
            with acting_in(session, ctx.organization_id):
                count, after = await retention.delete_chunk(session, cutoff, after)
                deleted += count
    async with ctx.db.transaction() as session:
        with acting_in(session, ctx.organization_id):
            row = await repository.lock_settings(session)
            if (
                cutoff is not None
                and row is not None
                and row.retention_version == int(payload["version"])
            ):
                row.last_retention_at, row.last_retention_deleted = now, deleted
                await retention.plan_next(
                    session, row.retention_version, now + retention.RETENTION_EVERY
                )
                log.info("telemetry_retention", deleted=deleted)
            await ctx.succeed_in(session)
    return deleted
