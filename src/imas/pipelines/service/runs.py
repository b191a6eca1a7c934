"""Starting and stopping a pipeline's runs. A run is an `automation_runs` row (action
`pipeline`) executed by the `pipelines.run` job; both are written in the caller's transaction
(the outbox), so a run exists iff its job does."""

from __future__ import annotations

import statistics
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.automation import repository as engine_repository
from imas.automation.models import Run, RunStatus, Trigger
from imas.db import utcnow
from imas.errors import NotFound
from imas.jobs.queue import enqueue
from imas.orgs.models import User
from imas.pipelines import repository
from imas.pipelines.exceptions import PipelineInvalid, RunNotStoppable
from imas.pipelines.models import Pipeline, PipelineStatus
from imas.pipelines.service import progress

RUN_JOB = "pipelines.run"
JOB_ATTEMPTS = 5
"""Tries of one attempt's job (a database hiccup); the run's own attempts are `retry_count`."""


async def start(
    session: AsyncSession,
    pipeline: Pipeline,
    context: dict[str, Any],
    actor: User | None,
    *,
    trigger: Trigger = Trigger.MANUAL,
    scheduled_for: datetime | None = None,
) -> Run:
    if pipeline.status == PipelineStatus.DEPRECATED:
        raise PipelineInvalid("status", "a deprecated pipeline cannot run")
    steps = await repository.steps(session, pipeline.id)
    if not steps or steps[0].step_type != "extract":
        raise PipelineInvalid("steps", "the pipeline needs an extract step before it can run")
    config = pipeline.config
    run = Run(
        action=repository.PIPELINE_ACTION,
        pipeline_id=pipeline.id,
        parameters={"context": context},
        status=RunStatus.QUEUED,
        trigger=trigger,
        max_retries=int(config.get("retry_count") or 0) + 1,
        timeout_seconds=int(config.get("timeout") or 3600),
        requested_by_id=actor.id if actor is not None else None,
        scheduled_for=scheduled_for,
    )
    session.add(run)
    await session.flush()
    await hand_over(session, run)
    progress.publish(session, run)
    return run


async def hand_over(session: AsyncSession, run: Run, delay_seconds: float = 0) -> None:
    """Give the run's next attempt to a worker (after `delay_seconds`): a new step, so any
    older job of the run finds it moved on and does nothing."""
    run.step += 1
    await enqueue(
        session,
        RUN_JOB,
        {"run_id": str(run.id), "step": run.step},
        run_at=utcnow() + timedelta(seconds=delay_seconds),
        max_attempts=JOB_ATTEMPTS,
    )


async def estimated_duration(session: AsyncSession, pipeline_id: uuid.UUID) -> int | None:
    durations = await repository.recent_durations(session, pipeline_id)
    return round(statistics.median(durations)) if durations else None


async def stop(
    session: AsyncSession, pipeline: Pipeline, run_id: uuid.UUID | None, reason: str, actor: User
) -> Run:
    """A queued (or retrying) run is cancelled now; a running one is asked to stop, and its
    worker cancels the work (the running query included) within a second."""
    if run_id is not None:
        run = await repository.pipeline_run(session, run_id)
        if run.pipeline_id != pipeline.id:
            raise NotFound.of("pipeline run", run_id)
    else:
        found = await repository.active_run(session, pipeline.id)
        if found is None:
            raise RunNotStoppable("The pipeline has no run in progress.")
        run = found
    locked = await engine_repository.lock_run(session, run.id)
    assert locked is not None
    run = locked
    why = f"stopped by {actor.username}" + (f": {reason}" if reason else "")
    if run.status in (RunStatus.QUEUED, RunStatus.RETRYING, RunStatus.PENDING_APPROVAL):
        run.status = RunStatus.CANCELLED
        run.error = why
        run.finished_at = utcnow()
        run.step += 1  # its queued job finds the run moved on
        progress.publish(session, run)
    elif run.status in (RunStatus.RUNNING, RunStatus.WAITING):
        run.cancel_requested = True
        run.state = {**run.state, "stop_reason": why}
    else:
        raise RunNotStoppable(
            f"The run is {progress.state_of(run)}: only a pending or running run can be stopped.",
            details={"status": progress.state_of(run)},
        )
    await session.flush()
    return run
