"""One sync of a cluster, in two steps so that no database transaction is open while the API
server answers (or does not): `connection()` reads what connecting takes, `fetch()` talks to the
cluster, `record()` writes the outcome in the caller's transaction.

A success replaces the cluster's snapshot (nodes and pods) and reports what changed to the alert
intake; a failure keeps the last snapshot and sets `status` (`unreachable`, `unauthorized`) and
`last_error`. `record` locks the cluster's row, so two syncs of one cluster write one after the
other, and an outcome older than the kept snapshot is dropped."""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.db import org_of, utcnow
from imas.kubernetes import credentials, repository
from imas.kubernetes.client import Connection, SyncFailed, fetch
from imas.kubernetes.inventory import Inventory
from imas.kubernetes.models import Cluster, ClusterStatus, KubeNode, KubePod
from imas.kubernetes.service import alerts

log = structlog.get_logger("imas.kubernetes")
Outcome = Inventory | SyncFailed


def connection(cluster: Cluster, settings: Settings) -> Connection | SyncFailed:
    try:
        creds = credentials.open_(cluster.credentials_encrypted, settings)
    except credentials.CredentialsUnreadable as exc:
        return SyncFailed(ClusterStatus.UNAUTHORIZED, str(exc))
    return Connection(
        server=cluster.api_server_url,
        credentials=creds,
        ca_cert=cluster.ca_cert,
        insecure_skip_tls_verify=cluster.insecure_skip_tls_verify,
    )


async def take(cluster: Cluster, conn: Connection | SyncFailed, settings: Settings) -> Outcome:
    """The cluster's inventory, or why it could not be read."""
    if isinstance(conn, SyncFailed):
        return conn
    try:
        return await fetch(
            conn,
            list(cluster.owner_labels),
            call_seconds=settings.kubernetes_timeout_seconds,
            deadline=settings.kubernetes_sync_timeout_seconds,
        )
    except SyncFailed as failure:
        log.info(
            "kubernetes_sync_failed",
            cluster=cluster.name,
            status=str(failure.status),
            error=failure.message,
        )
        return failure


async def record(
    session: AsyncSession,
    cluster_id: uuid.UUID,
    outcome: Outcome,
    started_at: datetime,
    *,
    version: int | None = None,
) -> Cluster | None:
    """Write one sync's outcome. None when the cluster is gone meanwhile, or when `version` is
    given and the cluster's connection changed since (the outcome is of the old one)."""
    cluster = await repository.lock_cluster(session, cluster_id)
    if cluster is None or (version is not None and cluster.schedule_version != version):
        return None
    if cluster.last_attempt_at is not None and cluster.last_attempt_at > started_at:
        return cluster  # a sync that started later has written already
    cluster.last_attempt_at = started_at
    if isinstance(outcome, SyncFailed):
        cluster.status, cluster.last_error = outcome.status, outcome.message
        await alerts.report(
            session, [alerts.unreachable_event(cluster, outcome.status, outcome.message, utcnow())]
        )
        await session.flush()
        return cluster
    was_down = cluster.status in (ClusterStatus.UNREACHABLE, ClusterStatus.UNAUTHORIZED)
    nodes = await repository.snapshot_nodes(session, cluster.id)
    pods = await repository.snapshot_pods(session, cluster.id)
    events, spiking = alerts.inventory_events(
        cluster, nodes, pods, outcome, utcnow(), was_down=was_down
    )
    await _replace(session, cluster, outcome, spiking)
    cluster.status, cluster.last_error = ClusterStatus.CONNECTED, None
    cluster.version = outcome.version
    cluster.last_synced_at = started_at
    cluster.node_count, cluster.pod_count = len(outcome.nodes), len(outcome.pods)
    cluster.namespace_count = outcome.namespaces
    await session.flush()
    await alerts.report(session, events)
    return cluster


async def _replace(
    session: AsyncSession, cluster: Cluster, now: Inventory, spiking: set[tuple[str, str]]
) -> None:
    await repository.clear_snapshot(session, cluster.id)
    org = org_of(session)
    on_node = now.pods_on()
    if now.nodes:
        await session.execute(
            insert(KubeNode),
            [
                {
                    "id": uuid.uuid4(),
                    "organization_id": org,
                    "cluster_id": cluster.id,
                    "name": n.name,
                    "status": n.status,
                    "reason": n.reason,
                    "message": n.message,
                    "unschedulable": n.unschedulable,
                    "kubelet_version": n.kubelet_version,
                    "cpu_usage": now.node_percent(n)[0],
                    "memory_usage": now.node_percent(n)[1],
                    "pods": on_node.get(n.name, 0),
                    "created_at": n.created_at,
                }
                for n in now.nodes
            ],
        )
    if now.pods:
        await session.execute(
            insert(KubePod),
            [
                {
                    "id": uuid.uuid4(),
                    "organization_id": org,
                    "cluster_id": cluster.id,
                    "uid": p.uid,
                    "namespace": p.namespace,
                    "name": p.name,
                    "status": p.status,
                    "reason": p.reason,
                    "ready": p.ready,
                    "restarts": p.restarts,
                    "restart_spike": p.key in spiking,
                    "node_name": p.node_name,
                    "service": p.service,
                    "cpu_usage": now.pod_amounts(p)[0],
                    "memory_usage": now.pod_amounts(p)[1],
                    "created_at": p.created_at,
                }
                for p in now.pods
            ],
        )
