"""What a sync tells the alert intake: the differences between the kept snapshot and the new one
become alerts of source `kubernetes` (`imas.alerts.sources.kubernetes`), through one integration
per organization, `IMAS Kubernetes`, created on first use with the default service
`kubernetes`.

- a node whose Ready condition is False or Unknown fires (repeated every sync while it lasts);
  it resolves when the node is Ready again or gone;
- a pod waiting in CrashLoopBackOff, ImagePullBackOff, ErrImagePull or
  CreateContainerConfigError fires; it resolves when the pod recovers or is gone;
- a pod whose restarts grew by the cluster's `restart_threshold` or more since the previous
  snapshot (same pod uid) fires; it resolves at the first sync where its restarts stop growing;
- a cluster that cannot be reached or refuses the credentials fires (a dark cluster hides every
  other alert, so it must not be silent); the next successful sync resolves it.

Pod alerts carry the pod's owner service, so the incident lands on that IMAS service (else the
integration's default service); the integration groups by cluster and service: one incident per
troubled service of a cluster, one for a cluster's nodes and reachability."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts.service.builtin import Builtin
from imas.alerts.service.intake import ingest
from imas.alerts.sources.kubernetes import KubernetesSource
from imas.kubernetes.inventory import BACKOFF_REASONS, READY, Inventory
from imas.kubernetes.models import Cluster, KubeNode, KubePod

KUBERNETES = Builtin(
    kind=KubernetesSource.kind,
    name="IMAS Kubernetes",
    description="Unhealthy nodes and pods of this organization's Kubernetes clusters",
    default_service="kubernetes",
    service_description="Kubernetes clusters watched by IMAS (their alerts' default service)",
    grouping_labels=["cluster", "service"],
)

Event = dict[str, Any]


def _event(cluster: Cluster, problem: str, firing: bool, at: datetime, **fields: Any) -> Event:
    return {
        "cluster": cluster.name,
        "cluster_id": str(cluster.id),
        "problem": problem,
        "status": "firing" if firing else "resolved",
        "occurred_at": at.isoformat(),
        **{k: v for k, v in fields.items() if v is not None},
    }


def _node_events(
    cluster: Cluster, before: Sequence[KubeNode], now: Inventory, at: datetime
) -> list[Event]:
    events = [
        _event(
            cluster,
            "node_not_ready",
            True,
            at,
            node=node.name,
            reason=node.status,
            message=node.message or node.reason or "",
        )
        for node in now.nodes
        if node.status != READY
    ]
    well = {n.name for n in now.nodes if n.status == READY}
    present = {n.name for n in now.nodes}
    events += [
        _event(cluster, "node_not_ready", False, at, node=old.name)
        for old in before
        if old.status != READY and (old.name in well or old.name not in present)
    ]
    return events


def pod_events(
    cluster: Cluster, before: Sequence[KubePod], now: Inventory, at: datetime
) -> tuple[list[Event], set[tuple[str, str]]]:
    """The pods' events and the pods whose restart-spike alert fires after this sync."""
    old = {(p.namespace, p.name): p for p in before}
    events: list[Event] = []
    spiking: set[tuple[str, str]] = set()
    for pod in now.pods:
        where = {"namespace": pod.namespace, "pod": pod.name, "node": pod.node_name}
        owner = {"service": pod.service}
        if pod.backoff:
            message = pod.message or f"{pod.reason}: {pod.restarts} restarts"
            events.append(
                _event(
                    cluster,
                    "pod_backoff",
                    True,
                    at,
                    **where,
                    **owner,
                    reason=pod.reason,
                    restarts=pod.restarts,
                    message=message,
                )
            )
        previous = old.get(pod.key)
        if previous is None or previous.uid != pod.uid:
            continue
        grown = pod.restarts - previous.restarts
        if grown >= cluster.restart_threshold:
            spiking.add(pod.key)
            events.append(
                _event(
                    cluster,
                    "restart_spike",
                    True,
                    at,
                    **where,
                    **owner,
                    reason=pod.reason,
                    restarts=pod.restarts,
                    message=f"{grown} restarts since the previous sync ({pod.restarts} in all)",
                )
            )
        elif previous.restart_spike and grown > 0:
            spiking.add(pod.key)
    present = {p.key: p for p in now.pods}
    for key, previous in old.items():
        current = present.get(key)
        where = {"namespace": key[0], "pod": key[1], "service": previous.service}
        if previous.reason in BACKOFF_REASONS and (current is None or not current.backoff):
            events.append(_event(cluster, "pod_backoff", False, at, **where))
        if previous.restart_spike and key not in spiking:
            events.append(_event(cluster, "restart_spike", False, at, **where))
    return events, spiking


def inventory_events(
    cluster: Cluster,
    nodes: Sequence[KubeNode],
    pods: Sequence[KubePod],
    now: Inventory,
    at: datetime,
    *,
    was_down: bool,
) -> tuple[list[Event], set[tuple[str, str]]]:
    events, spiking = pod_events(cluster, pods, now, at)
    events = _node_events(cluster, nodes, now, at) + events
    if was_down:
        events.append(_event(cluster, "cluster_unreachable", False, at))
    return events, spiking


def unreachable_event(cluster: Cluster, status: str, message: str, at: datetime) -> Event:
    return _event(cluster, "cluster_unreachable", True, at, reason=status, message=message)


async def report(session: AsyncSession, events: list[Event]) -> None:
    """Feed the events to the intake: nothing is created for resolutions alone."""
    if not events:
        return
    if any(e["status"] == "firing" for e in events):
        integration = await KUBERNETES.get_or_create(session)
    else:
        found = await KUBERNETES.existing(session)
        if found is None:
            return
        integration = found
    await ingest(session, integration, KubernetesSource().parse(events))
