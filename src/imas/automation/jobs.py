"""The job that executes a run's step, and auto-remediation: an alert whose classification says
it is remediable, arriving through an integration (or for a service) with an auto-remediating
policy, starts the action in the transaction that received it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.automation.service import auto, engine
from imas.automation.service.runs import RUN_JOB
from imas.db import acting_in
from imas.events import EventType, sink
from imas.events.bus import MakeEvent
from imas.jobs.registry import JobContext, handler, on_dead
from imas.jobs.store import Dead


@handler(RUN_JOB)
async def run_step(ctx: JobContext, payload: dict[str, Any]) -> None:
    await engine.execute_step(ctx, uuid.UUID(str(payload["run_id"])), int(payload["step"]))


@on_dead(RUN_JOB)
async def run_job_died(session: AsyncSession, job: Dead) -> None:
    """A step's job died (its worker kept failing on the database, say): the run fails with
    the reason, rather than waiting for ever. Nothing changes if the run has moved on."""
    with acting_in(session, job.organization_id):
        await engine.abandon(
            session, uuid.UUID(str(job.payload["run_id"])), int(job.payload["step"]), job.error
        )


@sink
async def remediate_alerts(session: AsyncSession, event_type: EventType, make: MakeEvent) -> None:
    if event_type != EventType.ALERT_RECEIVED:
        return
    policies = await auto.auto_policies(session)
    if not policies:  # the usual case: the alert's payload is not even built
        return
    event = await make()
    await auto.on_alert(session, event.data, policies)
