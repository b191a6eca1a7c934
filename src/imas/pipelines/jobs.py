"""Background work of the pipelines domain: a run's attempt, and the cron fires."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.automation import repository as engine_repository
from imas.automation.models import ACTIVE, RunStatus, Trigger
from imas.automation.service.engine import RunLogBook, write_logs
from imas.db import acting_in, utcnow
from imas.errors import IMASError
from imas.jobs.registry import JobContext, handler, on_dead
from imas.jobs.store import Dead
from imas.pipelines import notifications, repository
from imas.pipelines.models import Pipeline
from imas.pipelines.service import executor, progress, runs, schedule

log = structlog.get_logger("imas.pipelines")


@handler(runs.RUN_JOB)
async def run_attempt(ctx: JobContext, payload: dict[str, Any]) -> None:
    await executor.execute(ctx, uuid.UUID(str(payload["run_id"])), int(payload["step"]))


@on_dead(runs.RUN_JOB)
async def run_job_died(session: AsyncSession, job: Dead) -> None:
    """The attempt's job kept failing (its worker's database, say): the run fails with the
    reason rather than staying pending for ever."""
    with acting_in(session, job.organization_id):
        run = await engine_repository.lock_run(session, uuid.UUID(str(job.payload["run_id"])))
        if run is None or run.step != int(job.payload["step"]) or run.status not in ACTIVE:
            return
        run.status, run.error, run.finished_at = (
            RunStatus.FAILED,
            f"its job died: {job.error}",
            utcnow(),
        )
        book = RunLogBook()
        book.write("error", f"The run's job died: {job.error}")
        await write_logs(session, run.id, None, book)
        progress.publish(session, run)


@handler(notifications.NOTIFY_JOB)
async def notify(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with ctx.db.transaction(write=False) as session:
        with acting_in(session, ctx.organization_id):
            await notifications.send(
                session, ctx.settings, uuid.UUID(str(payload["run_id"])), str(payload["channel"])
            )


@handler(schedule.FIRE_JOB)
async def fire(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with ctx.db.transaction() as session:
        with acting_in(session, ctx.organization_id):
            await fire_in(session, payload, utcnow())
            await ctx.succeed_in(session)


async def fire_in(session: AsyncSession, payload: dict[str, Any], now: datetime) -> None:
    """Start the scheduled run (unless one is in progress), then plan the next fire."""
    pipeline = await repository.lock_pipeline(session, schedule.pipeline_id_of(payload))
    if pipeline is None or not schedule.fire_payload_ok(pipeline, payload):
        return  # the schedule changed or the pipeline is no longer active: a stale fire
    at = datetime.fromisoformat(str(payload["at"]))
    await _start_scheduled(session, pipeline, at)
    await schedule.plan_next(session, pipeline, max(now, at))


async def _start_scheduled(session: AsyncSession, pipeline: Pipeline, at: datetime) -> None:
    if await repository.active_run(session, pipeline.id) is not None:
        log.info("pipeline_fire_skipped", pipeline_id=str(pipeline.id), reason="run in progress")
        return
    try:
        async with session.begin_nested():
            await runs.start(
                session,
                pipeline,
                {"schedule_time": at.isoformat().replace("+00:00", "Z")},
                None,
                trigger=Trigger.SCHEDULED,
                scheduled_for=at,
            )
    except IntegrityError:
        pass  # this instant already started its run (a fire that ran twice)
    except IMASError as exc:  # the pipeline cannot run as it is: the next fire tries again
        log.warning("pipeline_fire_refused", pipeline_id=str(pipeline.id), error=exc.message)
