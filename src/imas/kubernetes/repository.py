"""Every query of the Kubernetes domain (scoped to the session's organization by `imas.db`)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog.models import Service
from imas.errors import NotFound
from imas.kubernetes.models import Cluster, KubeNode, KubePod


async def cluster_named(session: AsyncSession, name: str) -> Cluster:
    found = await session.scalar(select(Cluster).where(Cluster.name == name))
    if found is None:
        raise NotFound(
            f"No Kubernetes cluster named '{name}' is registered in this organization.",
            details={"resource": "kubernetes cluster", "id": name},
        )
    return found


async def lock_cluster(session: AsyncSession, cluster_id: uuid.UUID) -> Cluster | None:
    return await session.scalar(
        select(Cluster)
        .where(Cluster.id == cluster_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def clusters() -> Select[Any]:
    return select(Cluster).order_by(Cluster.name, Cluster.id)


def nodes(cluster_id: uuid.UUID) -> Select[Any]:
    return select(KubeNode).where(KubeNode.cluster_id == cluster_id).order_by(KubeNode.name)


def pods(cluster_id: uuid.UUID, *, namespace: str | None, status: str | None) -> Select[Any]:
    stmt = select(KubePod).where(KubePod.cluster_id == cluster_id)
    if namespace:
        stmt = stmt.where(KubePod.namespace == namespace)
    if status:
        wanted = status.lower()
        stmt = stmt.where(
            or_(func.lower(KubePod.status) == wanted, func.lower(KubePod.reason) == wanted)
        )
    return stmt.order_by(KubePod.namespace, KubePod.name)


async def snapshot_nodes(session: AsyncSession, cluster_id: uuid.UUID) -> list[KubeNode]:
    return list(await session.scalars(nodes(cluster_id)))


async def snapshot_pods(session: AsyncSession, cluster_id: uuid.UUID) -> list[KubePod]:
    return list(await session.scalars(select(KubePod).where(KubePod.cluster_id == cluster_id)))


async def clear_snapshot(session: AsyncSession, cluster_id: uuid.UUID) -> None:
    await session.execute(delete(KubePod).where(KubePod.cluster_id == cluster_id))
    await session.execute(delete(KubeNode).where(KubeNode.cluster_id == cluster_id))


async def services_named(session: AsyncSession, names: Collection[str]) -> dict[str, uuid.UUID]:
    """IMAS services by name (exact, else case-insensitive) among `names`."""
    if not names:
        return {}
    lowered = {n.lower() for n in names}
    found = await session.execute(
        select(Service.name, Service.id).where(func.lower(Service.name).in_(lowered))
    )
    by_lower = {name.lower(): sid for name, sid in found}
    return {n: by_lower[n.lower()] for n in names if n.lower() in by_lower}
