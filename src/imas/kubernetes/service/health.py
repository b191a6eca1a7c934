"""For `/health`: can IMAS reach each registered cluster's API server right now?"""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.kubernetes.client import UNAVAILABLE, SyncFailed, ping
from imas.kubernetes.models import Cluster
from imas.kubernetes.service.sync import connection


async def cluster_statuses(
    session: AsyncSession, settings: Settings, seconds: float
) -> dict[str, tuple[str, float | None]]:
    """Cluster name -> (`available` | `unavailable`, round trip in ms), pinged concurrently,
    for the clusters the session sees (its organization's, or all with `all_orgs`)."""
    found = list(await session.scalars(select(Cluster).order_by(Cluster.name)))

    async def one(cluster: Cluster) -> tuple[str, float | None]:
        conn = connection(cluster, settings)
        if isinstance(conn, SyncFailed):
            return UNAVAILABLE, None
        return await ping(conn, seconds)

    results = await asyncio.gather(*(one(c) for c in found))
    return {c.name: r for c, r in zip(found, results, strict=True)}
