"""New incidents of the configured severities are analyzed in the background: a sink enqueues
`rca.analyze` in the transaction that created the incident; the job analyzes it (an analysis
made twice by a retried job is two history entries, harmless)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import get_settings
from imas.db import acting_in
from imas.events import EventType, sink
from imas.events.bus import MakeEvent
from imas.jobs.queue import enqueue
from imas.jobs.registry import JobContext, handler
from imas.rca import service

ANALYZE_JOB = "rca.analyze"


@sink
async def analyze_new_incidents(
    session: AsyncSession, event_type: EventType, make: MakeEvent
) -> None:
    if event_type != EventType.INCIDENT_CREATED:
        return
    event = await make()
    if event.data.get("severity") not in get_settings().rca_auto_severities:
        return
    await enqueue(session, ANALYZE_JOB, {"incident_id": str(event.data["id"])}, max_attempts=3)


@handler(ANALYZE_JOB)
async def run_analysis(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with ctx.db.transaction() as session:
        with acting_in(session, ctx.organization_id):
            await service.analyze(session, str(payload["incident_id"]), None, ctx.settings)
