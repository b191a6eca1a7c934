"""Registering clusters: names unique per organization, credentials sealed, the connection read
from the request (a token, or a kubeconfig's context); a change of connection or interval
re-plans the cluster's syncs, the first one at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.db import utcnow
from imas.errors import Conflict, ValidationFailed
from imas.kubernetes import credentials, repository
from imas.kubernetes.credentials import Access
from imas.kubernetes.inventory import Inventory
from imas.kubernetes.models import Cluster, ClusterStatus
from imas.kubernetes.schemas import ClusterCreate, ClusterUpdate
from imas.kubernetes.service import alerts, schedule
from imas.orgs.models import User
from imas.repository import save_unique

_CONNECTION = ("api_server_url", "token", "kubeconfig", "ca_cert", "insecure_skip_tls_verify")


def _access(token: str | None, kubeconfig: str | None, context: str | None) -> Access | None:
    if token and kubeconfig:
        raise ValidationFailed(
            "Give either token or kubeconfig, not both.",
            details={"token": ["give either token or kubeconfig"]},
        )
    if kubeconfig:
        return credentials.from_kubeconfig(kubeconfig, context)
    if token:
        return Access(
            api_server_url=None, auth_method=credentials.TOKEN, credentials={"token": token}
        )
    return None


def _server(given: str | None, access: Access | None) -> str:
    server = given or (access.api_server_url if access else None)
    if not server:
        raise ValidationFailed.field("api_server_url", "this field is required")
    if not server.startswith(("http://", "https://")):
        raise ValidationFailed.field("api_server_url", "must be an http(s) URL")
    return server.rstrip("/")


async def _saved(session: AsyncSession, change: Callable[[], None], name: str) -> None:
    conflict = Conflict(
        f"A Kubernetes cluster named '{name}' is already registered.", details={"name": name}
    )
    await save_unique(session, change, conflict)


async def create(
    session: AsyncSession, data: ClusterCreate, actor: User, settings: Settings
) -> Cluster:
    access = _access(data.token, data.kubeconfig, data.context)
    if access is None:
        raise ValidationFailed(
            "token: give a bearer token or a kubeconfig",
            details={"token": ["give a bearer token or a kubeconfig"]},
        )
    ca = data.ca_cert or access.ca_cert
    cluster = Cluster(
        name=data.name,
        api_server_url=_server(data.api_server_url, access),
        auth_method=access.auth_method,
        credentials_encrypted=credentials.seal(access.credentials, settings),
        ca_cert=credentials.check_ca(ca) if ca else None,
        insecure_skip_tls_verify=bool(
            data.insecure_skip_tls_verify
            if data.insecure_skip_tls_verify is not None
            else access.insecure_skip_tls_verify
        ),
        owner_labels=list(data.owner_labels),
        sync_interval_seconds=data.sync_interval_seconds
        or settings.kubernetes_sync_interval_seconds,
        restart_threshold=data.restart_threshold or settings.kubernetes_restart_spike,
        created_by_id=actor.id,
    )
    await _saved(session, lambda: session.add(cluster), data.name)
    await schedule.arm(session, cluster)
    return cluster


def _changes(cluster: Cluster, data: ClusterUpdate, settings: Settings) -> dict[str, Any]:
    given = data.model_dump(exclude_unset=True, exclude={"token", "kubeconfig", "context"})
    if given.get("ca_cert") is not None:
        given["ca_cert"] = credentials.check_ca(given["ca_cert"]) if given["ca_cert"] else None
    access = _access(data.token, data.kubeconfig, data.context)
    if access is not None:
        given["auth_method"] = access.auth_method
        given["credentials_encrypted"] = credentials.seal(access.credentials, settings)
        if access.api_server_url and "api_server_url" not in given:
            given["api_server_url"] = access.api_server_url
        if access.ca_cert and "ca_cert" not in given:
            given["ca_cert"] = access.ca_cert
        if access.insecure_skip_tls_verify is not None and "insecure_skip_tls_verify" not in given:
            given["insecure_skip_tls_verify"] = access.insecure_skip_tls_verify
    if "api_server_url" in given:
        given["api_server_url"] = _server(given["api_server_url"], None)
    for key in (
        "owner_labels",
        "sync_interval_seconds",
        "restart_threshold",
        "name",
        "insecure_skip_tls_verify",
    ):
        if key in given and given[key] is None:
            raise ValidationFailed.field(key, "may not be null")
    return given


async def update(
    session: AsyncSession, cluster: Cluster, data: ClusterUpdate, settings: Settings
) -> Cluster:
    given = _changes(cluster, data, settings)
    rearm = any(k in data.model_fields_set for k in (*_CONNECTION, "sync_interval_seconds"))

    def change() -> None:
        for key, value in given.items():
            setattr(cluster, key, value)

    await _saved(session, change, data.name or cluster.name)
    if rearm:
        await schedule.arm(session, cluster)
    return cluster


async def delete(session: AsyncSession, cluster: Cluster) -> None:
    """Its snapshot goes with it (cascade); its pending sync job finds nothing and stops; its
    firing alerts are resolved (nothing will ever resolve them otherwise)."""
    nodes = await repository.snapshot_nodes(session, cluster.id)
    pods = await repository.snapshot_pods(session, cluster.id)
    down = cluster.status in (ClusterStatus.UNREACHABLE, ClusterStatus.UNAUTHORIZED)
    events, _ = alerts.inventory_events(
        cluster, nodes, pods, Inventory(version=None), utcnow(), was_down=down
    )
    await alerts.report(session, events)
    await session.delete(cluster)
    await session.flush()
