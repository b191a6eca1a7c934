"""Tables of this domain: the registered clusters and the last inventory snapshot of each
(its nodes and pods, replaced as a whole by every successful sync)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from imas.db import Base, OrgOwned, Timestamps, UUIDPk


class ClusterStatus(StrEnum):
    PENDING = "pending"
    """Registered, never synced yet."""
    CONNECTED = "connected"
    UNREACHABLE = "unreachable"
    """No answer, a refused connection, a TLS failure or a server error: the snapshot is kept."""
    UNAUTHORIZED = "unauthorized"
    """The API server refused the credentials (401) or their rights (403)."""


class Cluster(UUIDPk, OrgOwned, Timestamps, Base):
    __tablename__ = "kubernetes_clusters"
    __audit__ = "kubernetes_cluster"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    api_server_url: Mapped[str] = mapped_column(String(500))
    auth_method: Mapped[str] = mapped_column(String(30))
    """`token` or `client_certificate` (from an uploaded kubeconfig)."""
    credentials_encrypted: Mapped[str] = mapped_column(Text)
    """Fernet token of the credentials' JSON; never returned, logged or audited."""
    ca_cert: Mapped[str | None] = mapped_column(Text)
    """PEM of the CA that signed the API server's certificate (public, not a secret)."""
    insecure_skip_tls_verify: Mapped[bool] = mapped_column(default=False)
    owner_labels: Mapped[list[str]] = mapped_column(default=list)
    """Pod labels naming the pod's owner service, tried in order."""
    sync_interval_seconds: Mapped[int]
    restart_threshold: Mapped[int]
    """Restarts of one pod between two syncs that raise a restart-spike alert."""

    status: Mapped[str] = mapped_column(String(20), default=ClusterStatus.PENDING)
    version: Mapped[str | None] = mapped_column(String(100))
    last_synced_at: Mapped[datetime | None]
    """When the kept snapshot was taken (the last successful sync)."""
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    node_count: Mapped[int] = mapped_column(default=0)
    pod_count: Mapped[int] = mapped_column(default=0)
    namespace_count: Mapped[int] = mapped_column(default=0)

    schedule_version: Mapped[int] = mapped_column(default=0)
    """Bumped when the cluster's connection or interval changes: an older sync job is a no-op."""
    next_sync_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class KubeNode(UUIDPk, OrgOwned, Base):
    __tablename__ = "kubernetes_nodes"
    __table_args__ = (UniqueConstraint("cluster_id", "name"),)

    cluster_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("kubernetes_clusters.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(253))
    status: Mapped[str] = mapped_column(String(20))
    """`Ready`, `NotReady` or `Unknown` (the Ready condition)."""
    reason: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str | None] = mapped_column(Text)
    unschedulable: Mapped[bool] = mapped_column(default=False)
    kubelet_version: Mapped[str | None] = mapped_column(String(100))
    cpu_usage: Mapped[float | None]
    """Percent of the node's allocatable CPU in use (metrics-server), None without it."""
    memory_usage: Mapped[float | None]
    """Percent of the node's allocatable memory in use (metrics-server)."""
    pods: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime | None]
    """The node object's creationTimestamp."""


class KubePod(UUIDPk, OrgOwned, Base):
    __tablename__ = "kubernetes_pods"
    __table_args__ = (
        UniqueConstraint("cluster_id", "namespace", "name"),
        Index("ix_kubernetes_pods_cluster_status", "cluster_id", "status"),
    )

    cluster_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("kubernetes_clusters.id", ondelete="CASCADE")
    )
    uid: Mapped[str | None] = mapped_column(String(64))
    namespace: Mapped[str] = mapped_column(String(253))
    name: Mapped[str] = mapped_column(String(253))
    status: Mapped[str] = mapped_column(String(20))
    """The pod's phase: Pending, Running, Succeeded, Failed, Unknown."""
    reason: Mapped[str | None] = mapped_column(String(200))
    """Why it is not well: a container's waiting or terminated reason (CrashLoopBackOff,
    OOMKilled), or the pod's own (Evicted)."""
    ready: Mapped[bool] = mapped_column(default=False)
    restarts: Mapped[int] = mapped_column(default=0)
    restart_spike: Mapped[bool] = mapped_column(default=False)
    """Its restart-spike alert fires (set by the sync that saw the spike, kept while the
    restarts keep growing)."""
    node_name: Mapped[str | None] = mapped_column(String(253))
    service: Mapped[str | None] = mapped_column(String(253))
    """The value of the first of the cluster's owner labels the pod carries."""
    cpu_usage: Mapped[float | None]
    """Millicores in use (metrics-server), None without it."""
    memory_usage: Mapped[float | None]
    """MiB in use (metrics-server)."""
    created_at: Mapped[datetime | None]
    """The pod object's creationTimestamp."""
