"""Rows -> the API's shapes."""

from __future__ import annotations

import uuid

from imas.kubernetes.models import Cluster, ClusterStatus, KubeNode, KubePod
from imas.kubernetes.schemas import ClusterRead, NodeRead, PodRead


def cluster(row: Cluster) -> ClusterRead:
    return ClusterRead(
        id=row.id,
        name=row.name,
        version=row.version,
        status=ClusterStatus(row.status),
        nodes=row.node_count,
        pods=row.pod_count,
        namespaces=row.namespace_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
        api_server_url=row.api_server_url,
        auth_method=row.auth_method,
        has_ca_cert=bool(row.ca_cert),
        insecure_skip_tls_verify=row.insecure_skip_tls_verify,
        owner_labels=list(row.owner_labels),
        sync_interval_seconds=row.sync_interval_seconds,
        restart_threshold=row.restart_threshold,
        last_synced_at=row.last_synced_at,
        last_attempt_at=row.last_attempt_at,
        last_error=row.last_error,
        next_sync_at=row.next_sync_at,
    )


def node(row: KubeNode) -> NodeRead:
    return NodeRead(
        name=row.name,
        status=row.status,
        reason=row.reason,
        message=row.message,
        unschedulable=row.unschedulable,
        kubelet_version=row.kubelet_version,
        cpu_usage=row.cpu_usage,
        memory_usage=row.memory_usage,
        pods=row.pods,
        created_at=row.created_at,
    )


def pod(row: KubePod, services: dict[str, uuid.UUID]) -> PodRead:
    return PodRead(
        name=row.name,
        namespace=row.namespace,
        status=row.status,
        reason=row.reason,
        ready=row.ready,
        restarts=row.restarts,
        node=row.node_name,
        service=row.service,
        service_id=services.get(row.service) if row.service else None,
        cpu_usage=row.cpu_usage,
        memory_usage=row.memory_usage,
        created_at=row.created_at,
    )
