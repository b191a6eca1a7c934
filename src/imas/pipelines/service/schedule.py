"""Cron schedules, kept by the durable job runner rather than by a process's memory: an active
pipeline with a schedule has exactly one pending fire job, due at its next instant (computed in
the pipeline's time zone, so 02:00 Europe/Paris stays 02:00 across DST changes).

When it fires, the job starts a run unless one is still in progress (an overlapping fire is
skipped and logged), then arms the next fire from *now*: a scheduler that was down for a day
fires once when it comes back, not once per missed instant (no catch-up storm). Changing the
schedule or the status bumps `schedule_version`, which turns any older fire job into a no-op.
The job runner's lease makes each fire job run on one worker at a time, and the unique
(pipeline, scheduled_for) index makes a fire that somehow ran twice start one run.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import utcnow
from imas.jobs.queue import enqueue
from imas.pipelines.models import Pipeline, PipelineStatus

FIRE_JOB = "pipelines.fire"


def next_fire(expression: str, timezone: str, after: datetime) -> datetime:
    """The first instant strictly after `after` that the cron expression names in
    `timezone`, in UTC."""
    local = after.astimezone(ZoneInfo(timezone))
    found: datetime = croniter(expression, local).get_next(datetime)
    return found.astimezone(UTC)


async def arm(session: AsyncSession, pipeline: Pipeline, *, now: datetime | None = None) -> None:
    """(Re)plan the pipeline's next fire after a change of its schedule or status."""
    pipeline.schedule_version += 1
    await plan_next(session, pipeline, now or utcnow())


async def plan_next(session: AsyncSession, pipeline: Pipeline, after: datetime) -> None:
    expression = pipeline.config.get("schedule")
    if pipeline.status != PipelineStatus.ACTIVE or not expression:
        pipeline.next_fire_at = None
        return
    at = next_fire(expression, pipeline.config.get("timezone") or "UTC", after)
    pipeline.next_fire_at = at
    await enqueue(
        session,
        FIRE_JOB,
        {
            "pipeline_id": str(pipeline.id),
            "version": pipeline.schedule_version,
            "at": at.isoformat(),
        },
        run_at=at,
    )


def fire_payload_ok(pipeline: Pipeline | None, payload: dict[str, object]) -> bool:
    return (
        pipeline is not None
        and pipeline.status == PipelineStatus.ACTIVE
        and pipeline.schedule_version == int(str(payload["version"]))
    )


def pipeline_id_of(payload: dict[str, object]) -> uuid.UUID:
    return uuid.UUID(str(payload["pipeline_id"]))
