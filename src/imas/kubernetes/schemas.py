"""The Kubernetes API's request and response models (seed 002's shapes, plus what an SRE needs:
the sync status, restarts, reasons and owner services)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl

from imas.kubernetes.models import ClusterStatus

DEFAULT_OWNER_LABELS = ["app.kubernetes.io/name", "app"]
_NAME = r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$"


def _url_text(value: str) -> str:
    return str(HttpUrl(value)).rstrip("/")


ServerUrl = Annotated[str, Field(max_length=500), AfterValidator(_url_text)]
Label = Annotated[str, Field(min_length=1, max_length=317, pattern=r"^[A-Za-z0-9./_-]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClusterCreate(Strict):
    name: str = Field(min_length=1, max_length=100, pattern=_NAME, examples=["production-cluster"])
    api_server_url: ServerUrl | None = Field(
        default=None,
        description="https://host:6443; taken from the kubeconfig when one is given",
        examples=["https://10.0.0.1:6443"],
    )
    token: str | None = Field(
        default=None,
        min_length=1,
        max_length=16_384,
        description="A ServiceAccount bearer token; stored encrypted, never returned",
    )
    kubeconfig: str | None = Field(
        default=None,
        max_length=262_144,
        description="A kubeconfig (YAML) with inline credentials; its context is read, the "
        "credentials stored encrypted, never returned",
    )
    context: str | None = Field(
        default=None, max_length=253, description="The kubeconfig context (default: current)"
    )
    ca_cert: str | None = Field(
        default=None, max_length=65_536, description="PEM of the API server's CA"
    )
    insecure_skip_tls_verify: bool | None = Field(
        default=None, description="Do not check the API server's certificate (test clusters)"
    )
    owner_labels: list[Label] = Field(
        default_factory=lambda: list(DEFAULT_OWNER_LABELS),
        min_length=1,
        max_length=10,
        description="Pod labels naming the owner service, tried in order",
    )
    sync_interval_seconds: int | None = Field(
        default=None, ge=10, le=86_400, description="Default: IMAS_KUBERNETES_SYNC_INTERVAL_SECONDS"
    )
    restart_threshold: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="Restarts of a pod between two syncs that raise an alert "
        "(default: IMAS_KUBERNETES_RESTART_SPIKE)",
    )


class ClusterUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100, pattern=_NAME)
    api_server_url: ServerUrl | None = None
    token: str | None = Field(default=None, min_length=1, max_length=16_384)
    kubeconfig: str | None = Field(default=None, max_length=262_144)
    context: str | None = Field(default=None, max_length=253)
    ca_cert: str | None = Field(default=None, max_length=65_536, description='"" removes it')
    insecure_skip_tls_verify: bool | None = None
    owner_labels: list[Label] | None = Field(default=None, min_length=1, max_length=10)
    sync_interval_seconds: int | None = Field(default=None, ge=10, le=86_400)
    restart_threshold: int | None = Field(default=None, ge=1, le=10_000)


class ClusterRead(BaseModel):
    id: uuid.UUID
    name: str
    version: str | None
    status: ClusterStatus
    nodes: int
    pods: int
    namespaces: int
    created_at: datetime
    updated_at: datetime
    api_server_url: str
    auth_method: str
    has_ca_cert: bool
    insecure_skip_tls_verify: bool
    owner_labels: list[str]
    sync_interval_seconds: int
    restart_threshold: int
    last_synced_at: datetime | None = Field(description="When the kept snapshot was taken")
    last_attempt_at: datetime | None
    last_error: str | None
    next_sync_at: datetime | None


class ClusterList(BaseModel):
    count: int
    next: str | None
    previous: str | None
    clusters: list[ClusterRead]


class NodeRead(BaseModel):
    name: str
    status: str = Field(description="Ready, NotReady or Unknown")
    reason: str | None
    message: str | None
    unschedulable: bool
    kubelet_version: str | None
    cpu_usage: float | None = Field(
        description="Percent of allocatable CPU in use (metrics-server; null without it)"
    )
    memory_usage: float | None = Field(
        description="Percent of allocatable memory in use (metrics-server; null without it)"
    )
    pods: int
    created_at: datetime | None


class NodeList(BaseModel):
    cluster: str
    status: ClusterStatus
    synced_at: datetime | None
    count: int
    next: str | None
    previous: str | None
    nodes: list[NodeRead]


class PodRead(BaseModel):
    name: str
    namespace: str
    status: str = Field(description="The pod's phase")
    reason: str | None = Field(description="CrashLoopBackOff, OOMKilled, Evicted...")
    ready: bool
    restarts: int
    node: str | None
    service: str | None = Field(description="The value of the pod's owner label")
    service_id: uuid.UUID | None = Field(description="The IMAS service of that name, if any")
    cpu_usage: float | None = Field(description="Millicores (metrics-server; null without it)")
    memory_usage: float | None = Field(description="MiB (metrics-server; null without it)")
    created_at: datetime | None


class PodList(BaseModel):
    cluster: str
    status: ClusterStatus
    synced_at: datetime | None
    count: int
    next: str | None
    previous: str | None
    pods: list[PodRead]
