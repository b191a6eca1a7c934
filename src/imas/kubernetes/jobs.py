"""Background work of the Kubernetes domain: the scheduled sync of each cluster."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import acting_in, utcnow
from imas.jobs.registry import JobContext, handler, on_dead
from imas.jobs.store import Dead
from imas.kubernetes import repository
from imas.kubernetes.models import Cluster
from imas.kubernetes.service import schedule, sync


@handler(schedule.SYNC_JOB)
async def sync_cluster(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Read the cluster (no transaction held while it answers), write the outcome, plan the
    next sync. A job of an older schedule version does nothing."""
    cluster_id = schedule.cluster_id_of(payload)
    async with ctx.db.transaction(write=False) as session:
        with acting_in(session, ctx.organization_id):
            cluster = await session.get(Cluster, cluster_id)
            if cluster is None or not schedule.is_current(cluster, payload):
                return
            conn = sync.connection(cluster, ctx.settings)
    started = utcnow()
    outcome = await sync.take(cluster, conn, ctx.settings)
    async with ctx.db.transaction() as session:
        with acting_in(session, ctx.organization_id):
            await record_and_plan(session, payload, outcome, started)
            await ctx.succeed_in(session)


async def record_and_plan(
    session: AsyncSession, payload: dict[str, Any], outcome: sync.Outcome, started: datetime
) -> None:
    version = int(str(payload["version"]))
    cluster_id = schedule.cluster_id_of(payload)
    cluster = await sync.record(session, cluster_id, outcome, started, version=version)
    if cluster is not None:
        await schedule.plan_next(session, cluster, utcnow())


@on_dead(schedule.SYNC_JOB)
async def sync_job_died(session: AsyncSession, job: Dead) -> None:
    """Its attempts kept failing (the database, say): plan the next sync anyway, so the
    cluster's schedule never stops."""
    with acting_in(session, job.organization_id):
        cluster = await repository.lock_cluster(session, schedule.cluster_id_of(job.payload))
        if cluster is not None and schedule.is_current(cluster, job.payload):
            await schedule.plan_next(session, cluster, utcnow())
