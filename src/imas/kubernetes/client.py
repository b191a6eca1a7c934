"""Talking to a cluster's API server through lightkube: one AsyncClient per sync, built from the
stored server URL, CA and credentials (never from a file or a command on this host), every call
bounded by a timeout. A failure is a `SyncFailed` with the status it means (`unreachable`,
`unauthorized`) and a sentence that never carries the credentials."""

from __future__ import annotations

import asyncio
import base64
import ssl
import time
from dataclasses import dataclass

import httpx2
from lightkube import ALL_NS, AsyncClient, KubeConfig
from lightkube.config.client_adapter import AsyncClient as adapter_client
from lightkube.config.client_adapter import ConnectionParams
from lightkube.config.kubeconfig import SingleConfig
from lightkube.config.models import Cluster as KubeCluster
from lightkube.config.models import User as KubeUser
from lightkube.core.exceptions import ConfigError
from lightkube.resources.core_v1 import Node, Pod

from imas.kubernetes.inventory import Inventory, Usage, node_info, pod_info, usage_of
from imas.kubernetes.models import ClusterStatus

PAGE = 500
"""Objects per list call (the API server's `limit`; lightkube follows `continue`)."""
AVAILABLE = "available"
UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Connection:
    server: str
    credentials: dict[str, str]
    ca_cert: str | None = None
    insecure_skip_tls_verify: bool = False


class SyncFailed(Exception):
    def __init__(self, status: ClusterStatus, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _config(conn: Connection) -> SingleConfig:
    cluster = KubeCluster(
        server=conn.server.rstrip("/"),
        certificate_auth_data=_b64(conn.ca_cert) if conn.ca_cert else None,
        insecure=conn.insecure_skip_tls_verify,
    )
    creds = conn.credentials
    user = KubeUser(
        token=creds.get("token"),
        client_cert_data=creds.get("client_certificate_data"),
        client_key_data=creds.get("client_key_data"),
    )
    found = KubeConfig.from_one(cluster=cluster, user=user).get()
    assert found is not None
    return found


def _params(timeout: float) -> ConnectionParams:
    return ConnectionParams(timeout=httpx2.Timeout(timeout), trust_env=False)


def _failure(exc: BaseException) -> SyncFailed:
    if isinstance(exc, httpx2.HTTPStatusError):
        code = exc.response.status_code
        if code in (401, 403):
            what = "refused the credentials" if code == 401 else "denied listing (RBAC)"
            return SyncFailed(
                ClusterStatus.UNAUTHORIZED,
                f"the API server {what}: HTTP {code} on {exc.request.url.path}",
            )
        return SyncFailed(
            ClusterStatus.UNREACHABLE,
            f"the API server answered HTTP {code} on {exc.request.url.path}",
        )
    if isinstance(exc, httpx2.TimeoutException | TimeoutError):
        return SyncFailed(ClusterStatus.UNREACHABLE, "the API server did not answer in time")
    if isinstance(exc, httpx2.TransportError):
        reason = str(exc) or type(exc).__name__
        return SyncFailed(ClusterStatus.UNREACHABLE, f"cannot reach the API server: {reason}")
    if isinstance(exc, ssl.SSLError | ConfigError):
        return SyncFailed(ClusterStatus.UNREACHABLE, f"cannot set up the connection: {exc}")
    if isinstance(exc, ValueError):  # an answer that is not a Kubernetes list
        return SyncFailed(
            ClusterStatus.UNREACHABLE, f"the API server's answer is unreadable: {exc}"
        )
    return SyncFailed(
        ClusterStatus.UNREACHABLE, f"unexpected failure talking to the API server: {exc!r}"[:500]
    )


async def _version(http: httpx2.AsyncClient) -> str | None:
    response = await http.get("/version")
    response.raise_for_status()
    found = response.json().get("gitVersion")
    return str(found) if found else None


async def _metrics(http: httpx2.AsyncClient, kind: str) -> dict[str, Usage]:
    """metrics-server's usage of the nodes or pods; empty when it is not installed, not
    allowed (403) or slow: usage is a nice-to-have, never a reason for a failed sync."""
    try:
        response = await http.get(f"/apis/metrics.k8s.io/v1beta1/{kind}")
        return usage_of(response.json()) if response.status_code == 200 else {}
    except (httpx2.HTTPError, ValueError, KeyError, TypeError, AttributeError):
        return {}


async def _list(conn: Connection, owner_labels: list[str], seconds: float) -> Inventory:
    config = _config(conn)
    async with adapter_client(config, _params(seconds)) as http:
        version = await _version(http)
        client = AsyncClient(config, timeout=httpx2.Timeout(seconds), trust_env=False)
        try:
            nodes = [node_info(n) async for n in client.list(Node, chunk_size=PAGE)]
            pods = [
                pod_info(p, owner_labels)
                async for p in client.list(Pod, namespace=ALL_NS, chunk_size=PAGE)
            ]
        finally:
            await client.close()
        node_usage = await _metrics(http, "nodes")
        pod_usage = await _metrics(http, "pods")
    return Inventory(
        version=version,
        nodes=nodes,
        pods=pods,
        node_usage=node_usage,
        pod_usage=pod_usage,
    )


async def fetch(
    conn: Connection, owner_labels: list[str], *, call_seconds: float, deadline: float
) -> Inventory:
    """The cluster's version, nodes and pods; each call within `call_seconds`, the whole
    within `deadline`. Raises SyncFailed."""
    try:
        async with asyncio.timeout(deadline):
            return await _list(conn, owner_labels, call_seconds)
    except Exception as exc:
        raise _failure(exc) from None


async def ping(conn: Connection, seconds: float) -> tuple[str, float | None]:
    """For the health check: `available` and the round trip in ms when the API server answers
    `/version`, else `unavailable` and None."""
    started = time.perf_counter()
    try:
        async with (
            asyncio.timeout(seconds),
            adapter_client(_config(conn), _params(seconds)) as http,
        ):
            await _version(http)
    except Exception:
        return UNAVAILABLE, None
    return AVAILABLE, round((time.perf_counter() - started) * 1000, 1)
