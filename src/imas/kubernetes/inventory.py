"""What IMAS keeps of a Node or a Pod, read from the API server's objects (pure functions: no
network, no database), the way `kubectl get nodes,pods` shows them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

READY = "Ready"
NOT_READY = "NotReady"
UNKNOWN = "Unknown"
BACKOFF_REASONS = frozenset(
    {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError"}
)
"""Waiting reasons that need a person: the pod will not get better by itself."""
_FINISHED = frozenset({"Succeeded", "Failed"})


@dataclass(frozen=True)
class NodeInfo:
    name: str
    status: str
    reason: str | None = None
    message: str | None = None
    unschedulable: bool = False
    kubelet_version: str | None = None
    created_at: datetime | None = None
    allocatable_cpu: float | None = None
    """Cores."""
    allocatable_memory: float | None = None
    """Bytes."""


Usage = tuple[float, float]
"""(cores, bytes) in use, as metrics-server reports them."""


@dataclass(frozen=True)
class PodInfo:
    namespace: str
    name: str
    status: str
    uid: str | None = None
    reason: str | None = None
    message: str | None = None
    ready: bool = False
    restarts: int = 0
    node_name: str | None = None
    service: str | None = None
    created_at: datetime | None = None

    @property
    def backoff(self) -> bool:
        return self.reason in BACKOFF_REASONS

    @property
    def key(self) -> tuple[str, str]:
        return self.namespace, self.name


@dataclass(frozen=True)
class Inventory:
    version: str | None
    nodes: list[NodeInfo] = field(default_factory=list)
    pods: list[PodInfo] = field(default_factory=list)
    node_usage: dict[str, Usage] = field(default_factory=dict)
    pod_usage: dict[str, Usage] = field(default_factory=dict)
    """By `namespace/name`."""

    def node_percent(self, node: NodeInfo) -> tuple[float | None, float | None]:
        """CPU and memory in use, in percent of what the node can allocate."""
        used = self.node_usage.get(node.name)
        if used is None:
            return None, None
        return _percent(used[0], node.allocatable_cpu), _percent(used[1], node.allocatable_memory)

    def pod_amounts(self, pod: PodInfo) -> tuple[float | None, float | None]:
        """Millicores and MiB in use."""
        used = self.pod_usage.get(f"{pod.namespace}/{pod.name}")
        if used is None:
            return None, None
        return round(used[0] * 1000, 1), round(used[1] / 2**20, 1)

    @property
    def namespaces(self) -> int:
        return len({p.namespace for p in self.pods})

    def pods_on(self) -> dict[str, int]:
        """Pods that occupy each node (finished ones do not)."""
        counts: dict[str, int] = {}
        for pod in self.pods:
            if pod.node_name and pod.status not in _FINISHED:
                counts[pod.node_name] = counts.get(pod.node_name, 0) + 1
        return counts


def _percent(used: float, total: float | None) -> float | None:
    return round(100 * used / total, 1) if total else None


_SUFFIXES = {
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
    "": 1.0,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    **{s: 1024.0**i for i, s in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"), start=1)},
}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([a-zA-Z]{0,2})$")


def quantity(value: Any) -> float | None:
    """A Kubernetes quantity (`250m`, `123456789n`, `1Gi`) as a number, None when unreadable."""
    found = _QUANTITY.match(str(value).strip()) if value is not None else None
    if found is None or found.group(2) not in _SUFFIXES:
        return None
    return float(found.group(1)) * _SUFFIXES[found.group(2)]


def usage_of(metrics: Any) -> dict[str, Usage]:
    """metrics.k8s.io NodeMetricsList / PodMetricsList items -> name (ns/name) -> usage."""
    found: dict[str, Usage] = {}
    for item in (metrics or {}).get("items") or []:
        meta = item.get("metadata") or {}
        parts = item.get("containers") or (
            [{"usage": item.get("usage")}] if "usage" in item else []
        )
        cpu = sum(quantity((c.get("usage") or {}).get("cpu")) or 0.0 for c in parts)
        memory = sum(quantity((c.get("usage") or {}).get("memory")) or 0.0 for c in parts)
        key = (
            f"{meta['namespace']}/{meta.get('name')}" if meta.get("namespace") else meta.get("name")
        )
        if key:
            found[str(key)] = (cpu, memory)
    return found


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _cut(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def node_info(node: Any) -> NodeInfo:
    meta, status, spec = node.metadata, node.status, node.spec
    ready = next((c for c in (status and status.conditions) or [] if c.type == "Ready"), None)
    state = UNKNOWN
    if ready is not None and ready.status == "True":
        state = READY
    elif ready is not None and ready.status == "False":
        state = NOT_READY
    unwell = ready is not None and state != READY
    info = status.nodeInfo if status is not None else None
    allocatable = (status.allocatable if status is not None else None) or {}
    return NodeInfo(
        name=meta.name,
        status=state,
        reason=_cut(ready.reason, 200) if unwell and ready is not None else None,
        message=ready.message if unwell and ready is not None else None,
        unschedulable=bool(spec and spec.unschedulable),
        kubelet_version=info.kubeletVersion if info is not None else None,
        created_at=_utc(meta.creationTimestamp),
        allocatable_cpu=quantity(allocatable.get("cpu")),
        allocatable_memory=quantity(allocatable.get("memory")),
    )


def _container_trouble(statuses: Sequence[Any]) -> tuple[str | None, str | None]:
    """The first waiting reason, else the first abnormal termination, of the containers."""
    for status in statuses:
        waiting = status.state.waiting if status.state is not None else None
        if waiting is not None and waiting.reason:
            return waiting.reason, waiting.message
    for status in statuses:
        ended = status.state.terminated if status.state is not None else None
        if ended is not None and ended.reason and ended.reason != "Completed":
            return ended.reason, ended.message
    return None, None


def pod_info(pod: Any, owner_labels: Sequence[str]) -> PodInfo:
    meta, status, spec = pod.metadata, pod.status, pod.spec
    containers = [
        *((status and status.initContainerStatuses) or []),
        *((status and status.containerStatuses) or []),
    ]
    reason, message = _container_trouble(containers)
    if reason is None and status is not None and status.reason:
        reason, message = status.reason, status.message
    if meta.deletionTimestamp is not None:
        reason = "Terminating"
    ready = any(
        c.type == "Ready" and c.status == "True" for c in (status and status.conditions) or []
    )
    labels = meta.labels or {}
    service = next((labels[k] for k in owner_labels if labels.get(k)), None)
    return PodInfo(
        namespace=meta.namespace or "default",
        name=meta.name,
        status=(status.phase if status is not None else None) or UNKNOWN,
        uid=meta.uid,
        reason=_cut(reason, 200),
        message=message,
        ready=ready,
        restarts=sum(c.restartCount or 0 for c in containers),
        node_name=spec.nodeName if spec is not None else None,
        service=_cut(service, 253),
        created_at=_utc(meta.creationTimestamp),
    )
