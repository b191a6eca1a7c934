"""A local Kubernetes API server for the inventory tests: kmock's KubernetesEmulator on a real
port (it serves `/version`, `/api/v1/nodes`, `/api/v1/pods` and the namespaced lists from the
objects it holds, in Kubernetes' List shapes), behind a bearer-token check; and an app whose
calls to clusters time out fast."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import kmock
import pytest
from fastapi import FastAPI

import imas.kubernetes.jobs  # noqa: F401  (registers the sync job's handler)
from imas.api.app import create_app
from imas.config import Settings
from imas.db import Database

TOKEN = "k8s-reader-token"
NODE_INFO = {
    "architecture": "amd64",
    "bootID": "b",
    "containerRuntimeVersion": "containerd://1.6.19",
    "kernelVersion": "5.15.0",
    "kubeProxyVersion": "v1.26.4+k3s1",
    "kubeletVersion": "v1.26.4+k3s1",
    "machineID": "m",
    "operatingSystem": "linux",
    "osImage": "Ubuntu 22.04",
    "systemUUID": "s",
}
UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}


@dataclass
class FakeCluster:
    """The emulator and what a test does to the cluster it pretends to be."""

    emulator: kmock.KubernetesEmulator
    server: kmock.Server
    uids: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return str(self.server.url)

    def node(self, name: str, ready: str = "True", **status: Any) -> None:
        condition = {"type": "Ready", "status": ready}
        if ready != "True":
            condition |= {"reason": "KubeletNotReady", "message": "container runtime is down"}
        self.emulator.objects["v1/nodes", None, name] = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "creationTimestamp": "2023-01-01T00:00:00Z"},
            "spec": {},
            "status": {
                "conditions": [condition],
                "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                "nodeInfo": NODE_INFO,
                **status,
            },
        }

    def pod(
        self,
        namespace: str,
        name: str,
        *,
        phase: str = "Running",
        labels: dict[str, str] | None = None,
        node: str | None = "node-1",
        restarts: int = 0,
        waiting: str | None = None,
        new_uid: bool = False,
    ) -> None:
        if new_uid or (namespace, name) not in self.uids:
            self.uids[namespace, name] = str(uuid.uuid4())
        state: dict[str, Any] = {"running": {"startedAt": "2023-01-01T00:00:05Z"}}
        if waiting:
            state = {"waiting": {"reason": waiting, "message": f"back-off restarting ({waiting})"}}
        self.emulator.objects["v1/pods", namespace, name] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": self.uids[namespace, name],
                "labels": labels or {},
                "creationTimestamp": "2023-01-01T00:00:00Z",
            },
            "spec": {"nodeName": node, "containers": [{"name": "main", "image": "app:1"}]},
            "status": {
                "phase": phase,
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True" if phase == "Running" and not waiting else "False",
                    }
                ],
                "containerStatuses": [
                    {
                        "name": "main",
                        "image": "app:1",
                        "imageID": "",
                        "ready": not waiting,
                        "restartCount": restarts,
                        "state": state,
                    }
                ],
            },
        }

    def usage(self, namespace: str | None, name: str, cpu: str, memory: str) -> None:
        """What metrics-server reports of a node (namespace None) or a pod."""
        if namespace is None:
            self.emulator.objects[NODE_METRICS, None, name] = {
                "metadata": {"name": name},
                "usage": {"cpu": cpu, "memory": memory},
            }
        else:
            self.emulator.objects[POD_METRICS, namespace, name] = {
                "metadata": {"name": name, "namespace": namespace},
                "containers": [{"name": "main", "usage": {"cpu": cpu, "memory": memory}}],
            }

    def remove_pod(self, namespace: str, name: str) -> None:
        del self.emulator.objects["v1/pods", namespace, name]

    def requests_seen(self) -> list[Any]:
        return list(self.emulator)


NODE_METRICS = "metrics.k8s.io/v1beta1/nodes"
POD_METRICS = "metrics.k8s.io/v1beta1/pods"


@pytest.fixture
async def k8s() -> AsyncIterator[FakeCluster]:
    """A cluster with two Ready nodes and three pods in two namespaces, and metrics-server's
    usage of node-1 and of the checkout pod."""
    async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator) as server:
        emulator.resources["v1/nodes"] = {"kind": "Node", "namespaced": False}
        emulator.resources["v1/pods"] = {"kind": "Pod", "namespaced": True}
        (
            emulator[lambda req: req.headers.get("Authorization") != f"Bearer {TOKEN}"]
            << 401
            << (UNAUTHORIZED)
        )
        cluster = FakeCluster(emulator, server)
        cluster.node("node-1")
        cluster.node("node-2")
        cluster.pod("shop", "checkout-7d9f-abcde", labels={"app.kubernetes.io/name": "checkout"})
        cluster.pod("shop", "cart-55c-xyz12", labels={"app": "cart"}, node="node-2")
        cluster.pod("kube-system", "coredns-1", phase="Pending", node=None)
        cluster.usage(None, "node-1", "1", "2Gi")
        cluster.usage("shop", "checkout-7d9f-abcde", "250m", "128Mi")
        yield cluster


@pytest.fixture(scope="session")
def k8s_settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(kubernetes_timeout_seconds=2.0, kubernetes_sync_timeout_seconds=5.0)


@pytest.fixture
def app(k8s_settings: Settings, db: Database) -> FastAPI:
    return create_app(k8s_settings, db)
