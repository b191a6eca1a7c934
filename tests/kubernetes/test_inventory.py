"""Registering a cluster and reading its inventory in seed 002's shapes, from a local
Kubernetes API server (kmock's emulator) reached through lightkube."""

from __future__ import annotations

from sqlalchemy import select

from imas.kubernetes.models import Cluster
from tests.kubernetes.conftest import TOKEN
from tests.kubernetes.helpers import CLUSTERS, get, refresh, register


class TestRegister:
    async def test_a_registered_cluster_is_pending_and_its_token_is_never_shown(
        self, client, admin, db, k8s
    ):
        created = await register(client, admin, k8s.url)
        assert created["status"] == "pending"
        assert created["api_server_url"] == k8s.url
        assert created["auth_method"] == "token"
        assert created["owner_labels"] == ["app.kubernetes.io/name", "app"]
        assert TOKEN not in str(created)
        async with db.transaction(write=False) as session:
            row = await session.scalar(select(Cluster))
        assert row is not None
        assert TOKEN not in row.credentials_encrypted
        listed = await get(client, admin, "")
        assert TOKEN not in str(listed)

    async def test_a_kubeconfig_gives_the_server_and_the_token(self, client, admin, k8s):
        kubeconfig = f"""
apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod
  cluster: {{server: "{k8s.url}"}}
contexts:
- name: prod
  context: {{cluster: prod, user: reader}}
users:
- name: reader
  user: {{token: {TOKEN}}}
"""
        response = await client.post(
            CLUSTERS, headers=admin.headers, json={"name": "prod", "kubeconfig": kubeconfig}
        )
        assert response.status_code == 201, response.text
        assert response.json()["api_server_url"] == k8s.url
        assert TOKEN not in response.text
        synced = await refresh(client, admin, "prod")
        assert synced["status"] == "connected", synced["last_error"]


class TestInventory:
    async def test_the_clusters_list_in_the_seeds_shape(self, client, admin, k8s):
        await register(client, admin, k8s.url)
        synced = await refresh(client, admin)
        assert synced["status"] == "connected"
        listed = await get(client, admin, "")
        [cluster] = listed["clusters"]
        assert {"name", "version", "status", "nodes", "pods", "namespaces", "created_at"} <= set(
            cluster
        )
        assert cluster["name"] == "production-cluster"
        assert cluster["version"] == "v1.26.4+k3s1"
        assert (cluster["nodes"], cluster["pods"], cluster["namespaces"]) == (2, 3, 2)
        assert cluster["created_at"].endswith("Z")
        assert cluster["last_synced_at"] is not None
        assert cluster["last_error"] is None

    async def test_the_nodes_in_the_seeds_shape(self, client, admin, k8s):
        await register(client, admin, k8s.url)
        await refresh(client, admin)
        nodes = (await get(client, admin, "production-cluster/nodes/"))["nodes"]
        assert [n["name"] for n in nodes] == ["node-1", "node-2"]
        first = nodes[0]
        assert {"name", "status", "cpu_usage", "memory_usage", "pods", "created_at"} <= set(first)
        assert first["status"] == "Ready"
        assert first["pods"] == 1  # the pending coredns pod is on no node
        assert first["created_at"] == "2023-01-01T00:00:00Z"
        assert (first["cpu_usage"], first["memory_usage"]) == (25.0, 25.0)  # of 4 cores, 8Gi
        assert (nodes[1]["cpu_usage"], nodes[1]["memory_usage"]) == (None, None)  # no metrics

    async def test_the_pods_in_the_seeds_shape_with_restarts_reason_and_owner(
        self, client, admin, k8s
    ):
        await register(client, admin, k8s.url)
        await refresh(client, admin)
        pods = (await get(client, admin, "production-cluster/pods/"))["pods"]
        assert [(p["namespace"], p["name"]) for p in pods] == [
            ("kube-system", "coredns-1"),
            ("shop", "cart-55c-xyz12"),
            ("shop", "checkout-7d9f-abcde"),
        ]
        checkout = pods[2]
        keys = {"name", "namespace", "status", "ready", "cpu_usage", "memory_usage", "created_at"}
        assert keys <= set(checkout)
        assert checkout["status"] == "Running"
        assert checkout["ready"] is True
        assert (checkout["restarts"], checkout["reason"]) == (0, None)
        assert checkout["service"] == "checkout"
        assert (checkout["cpu_usage"], checkout["memory_usage"]) == (250.0, 128.0)  # m, MiB
        assert pods[1]["cpu_usage"] is None
        assert pods[1]["service"] == "cart"  # through the `app` label
        assert pods[0]["service"] is None

    async def test_pods_filtered_by_namespace_and_status(self, client, admin, k8s):
        k8s.pod("shop", "payments-1", waiting="CrashLoopBackOff", restarts=4)
        await register(client, admin, k8s.url)
        await refresh(client, admin)
        path = "production-cluster/pods/"
        shop = (await get(client, admin, path, namespace="shop"))["pods"]
        assert {p["name"] for p in shop} == {"checkout-7d9f-abcde", "cart-55c-xyz12", "payments-1"}
        pending = (await get(client, admin, path, status="Pending"))["pods"]
        assert [p["name"] for p in pending] == ["coredns-1"]
        crashing = (await get(client, admin, path, status="CrashLoopBackOff"))["pods"]
        assert [(p["name"], p["reason"], p["restarts"]) for p in crashing] == [
            ("payments-1", "CrashLoopBackOff", 4)
        ]
        none = await get(client, admin, path, namespace="shop", status="Pending")
        assert none["pods"] == []
        assert none["count"] == 0

    async def test_a_pods_owner_names_the_imas_service_of_that_name(self, client, admin, k8s):
        made = await client.post(
            "/api/v1/services/", headers=admin.headers, json={"name": "checkout"}
        )
        assert made.status_code == 201, made.text
        await register(client, admin, k8s.url)
        await refresh(client, admin)
        pods = (await get(client, admin, "production-cluster/pods/", namespace="shop"))["pods"]
        owners = {p["service"]: p["service_id"] for p in pods}
        assert owners == {"checkout": made.json()["id"], "cart": None}

    async def test_custom_owner_labels(self, client, admin, k8s):
        k8s.pod("shop", "search-1", labels={"team.example.com/service": "search", "app": "x"})
        await register(client, admin, k8s.url, owner_labels=["team.example.com/service"])
        await refresh(client, admin)
        pods = (await get(client, admin, "production-cluster/pods/", namespace="shop"))["pods"]
        assert {p["name"]: p["service"] for p in pods}["search-1"] == "search"
        assert {p["name"]: p["service"] for p in pods}["cart-55c-xyz12"] is None

    async def test_a_sync_replaces_the_snapshot(self, client, admin, k8s):
        await register(client, admin, k8s.url)
        await refresh(client, admin)
        k8s.remove_pod("shop", "cart-55c-xyz12")
        k8s.pod("shop", "cart-66d-new01", labels={"app": "cart"})
        synced = await refresh(client, admin)
        assert synced["pods"] == 3
        pods = (await get(client, admin, "production-cluster/pods/", namespace="shop"))["pods"]
        assert {p["name"] for p in pods} == {"checkout-7d9f-abcde", "cart-66d-new01"}
