"""Scheduled syncs, kept by the durable job runner rather than by a process's memory: a cluster
has exactly one pending sync job, due `sync_interval_seconds` after the last one ran. Changing
the cluster's connection or interval bumps `schedule_version`, which turns any older job into a
no-op (so there is one pending job per cluster at most), and plans a sync at once. A scheduler
that was down fires once when it comes back, then every interval from then (no catch-up)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import utcnow
from imas.jobs.queue import enqueue
from imas.kubernetes.models import Cluster

SYNC_JOB = "kubernetes.sync"


async def arm(session: AsyncSession, cluster: Cluster, *, now: datetime | None = None) -> None:
    """(Re)plan the cluster's syncs after a change: the first one now."""
    cluster.schedule_version += 1
    await _plan(session, cluster, now or utcnow())


async def plan_next(session: AsyncSession, cluster: Cluster, after: datetime) -> None:
    await _plan(session, cluster, after + timedelta(seconds=cluster.sync_interval_seconds))


async def _plan(session: AsyncSession, cluster: Cluster, at: datetime) -> None:
    cluster.next_sync_at = at
    await session.flush()  # the cluster's id exists before the job names it
    await enqueue(
        session,
        SYNC_JOB,
        {"cluster_id": str(cluster.id), "version": cluster.schedule_version},
        run_at=at,
        max_attempts=5,
    )


def is_current(cluster: Cluster | None, payload: dict[str, object]) -> bool:
    return cluster is not None and cluster.schedule_version == int(str(payload["version"]))


def cluster_id_of(payload: dict[str, object]) -> uuid.UUID:
    return uuid.UUID(str(payload["cluster_id"]))
