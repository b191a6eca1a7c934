"""Kubernetes objects in trouble: IMAS's own cluster inventory reports here after each sync (a
NotReady node, a pod in CrashLoopBackOff or ImagePullBackOff, a restart spike, a cluster that
cannot be reached), and any watcher can post the same body (one event or a list of them) to
`/api/v1/webhooks/kubernetes/`.

One alert per object and problem (fingerprint `k8s:<cluster>:<problem>:<object>`): `firing`
raises it (repeats count on it), `resolved` ends it. Labels: `cluster`, `namespace`, `pod`,
`node`, `reason` and `service` (the pod's owner, which names the IMAS service the incident lands
on)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from imas.alerts.models import AlertStatus
from imas.alerts.sources.base import (
    IMAS_LEVELS,
    AlertIn,
    Source,
    bounded_fingerprint,
    one_or_many,
    real_time,
    title_of,
)
from imas.types import UtcDateTime

Problem = Literal["node_not_ready", "pod_backoff", "restart_spike", "cluster_unreachable"]
_ALERTNAMES: dict[str, str] = {
    "node_not_ready": "KubernetesNodeNotReady",
    "pod_backoff": "KubernetesPodBackOff",
    "restart_spike": "KubernetesPodRestartSpike",
    "cluster_unreachable": "KubernetesClusterUnreachable",
}
_SEVERITIES: dict[str, str] = {
    "node_not_ready": "SEV2_HIGH",
    "pod_backoff": "SEV3_MEDIUM",
    "restart_spike": "SEV3_MEDIUM",
    "cluster_unreachable": "SEV2_HIGH",
}


class KubernetesEvent(BaseModel):
    cluster: str = Field(min_length=1, max_length=200)
    cluster_id: str | None = Field(default=None, max_length=200)
    problem: Problem
    status: Literal["firing", "resolved"] = "firing"
    node: str | None = Field(default=None, max_length=253)
    namespace: str | None = Field(default=None, max_length=253)
    pod: str | None = Field(default=None, max_length=253)
    service: str | None = Field(default=None, max_length=253)
    reason: str | None = Field(default=None, max_length=200)
    message: str = Field(default="", max_length=20_000)
    restarts: int | None = Field(default=None, ge=0)
    severity: str | None = Field(default=None, max_length=50)
    occurred_at: UtcDateTime | None = None


def _subject(event: KubernetesEvent) -> str:
    if event.problem == "node_not_ready":
        return f"node {event.node or '?'}"
    if event.problem == "cluster_unreachable":
        return f"cluster {event.cluster}"
    return f"pod {event.namespace or 'default'}/{event.pod or '?'}"


def _title(event: KubernetesEvent) -> str:
    where = f"in cluster {event.cluster}" if event.problem != "cluster_unreachable" else ""
    match event.problem:
        case "node_not_ready":
            what = f"Node {event.node} is {event.reason or 'NotReady'}"
        case "pod_backoff":
            what = f"Pod {event.namespace}/{event.pod} is in {event.reason or 'BackOff'}"
        case "restart_spike":
            what = f"Pod {event.namespace}/{event.pod} restarted ({event.restarts or 0} restarts)"
        case _:
            what = f"Kubernetes cluster {event.cluster} cannot be reached"
    return f"{what} {where}".strip()


class KubernetesSource(Source):
    kind = "kubernetes"
    title = "Kubernetes"
    payload_model: ClassVar[type[BaseModel]] = KubernetesEvent
    accepts_list = True
    severity_table = IMAS_LEVELS

    def parse(self, payload: Any) -> list[AlertIn]:
        raws = one_or_many(self, payload)
        events = [self.validate(KubernetesEvent, raw) for raw in raws]
        return [self._alert(event, raw) for event, raw in zip(events, raws, strict=True)]

    def _alert(self, event: KubernetesEvent, raw: dict[str, Any]) -> AlertIn:
        firing = event.status == "firing"
        labels = {
            "alertname": _ALERTNAMES[event.problem],
            "cluster": event.cluster,
            "problem": event.problem,
        }
        for name in ("node", "namespace", "pod", "service", "reason"):
            value = getattr(event, name)
            if value:
                labels[name] = value
        if event.restarts is not None:
            labels["restarts"] = str(event.restarts)
        at = real_time(event.occurred_at)
        identity = event.cluster_id or event.cluster
        return AlertIn(
            fingerprint=bounded_fingerprint(f"k8s:{identity}:{event.problem}:{_subject(event)}"),
            status=AlertStatus.FIRING if firing else AlertStatus.RESOLVED,
            title=title_of(_title(event), fallback="Kubernetes problem"),
            description=event.message,
            labels=labels,
            annotations={"message": event.message[:2000]} if event.message else {},
            severity=self.severity(event.severity or _SEVERITIES[event.problem]),
            service_name=event.service,
            starts_at=at if firing else None,
            ends_at=None if firing else at,
            raw=raw,
        )
