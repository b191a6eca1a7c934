"""What a sync feeds the alert intake: a NotReady node, a pod in CrashLoopBackOff, a restart
spike and an unreachable cluster each raise one alert (deduplicated across syncs) that lands on
the pod's owner service, and resolve when the trouble ends."""

from __future__ import annotations

from tests.kubernetes.helpers import k8s_alerts, refresh, register
from tests.notify.receivers import free_port


async def incidents(client, actor) -> list[dict]:
    response = await client.get("/api/v1/incidents/", headers=actor.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


class TestNodes:
    async def test_a_not_ready_node_raises_one_alert_and_ready_again_resolves_it(
        self, client, admin, k8s
    ):
        await register(client, admin, k8s.url)
        await refresh(client, admin)
        assert await k8s_alerts(client, admin) == []
        k8s.node("node-2", ready="False")
        await refresh(client, admin)
        await refresh(client, admin)  # still NotReady: the same alert, counted twice
        [alert] = await k8s_alerts(client, admin)
        assert alert["status"] == "firing"
        assert alert["occurrence_count"] == 2
        assert alert["title"] == "Node node-2 is NotReady in cluster production-cluster"
        assert alert["labels"]["cluster"] == "production-cluster"
        assert alert["labels"]["node"] == "node-2"
        assert alert["labels"]["alertname"] == "KubernetesNodeNotReady"
        assert alert["severity"] == "SEV2_HIGH"
        assert alert["service"]["name"] == "kubernetes"
        [incident] = await incidents(client, admin)
        assert alert["incident"]["id"] == incident["id"]

        k8s.node("node-2")
        await refresh(client, admin)
        [alert] = await k8s_alerts(client, admin)
        assert alert["status"] == "resolved"
        [incident] = await incidents(client, admin)
        assert incident["status"] in ("MITIGATED", "RESOLVED")

    async def test_the_nodes_list_shows_the_reason(self, client, admin, k8s):
        k8s.node("node-2", ready="Unknown")
        await register(client, admin, k8s.url)
        await refresh(client, admin)
        response = await client.get(
            "/api/v1/kubernetes/clusters/production-cluster/nodes/", headers=admin.headers
        )
        node = response.json()["nodes"][1]
        assert (node["status"], node["reason"]) == ("Unknown", "KubeletNotReady")
        [alert] = await k8s_alerts(client, admin)
        assert alert["title"] == "Node node-2 is Unknown in cluster production-cluster"


class TestPods:
    async def test_a_crash_looping_pod_raises_an_alert_on_its_owner_service(
        self, client, admin, k8s
    ):
        made = await client.post(
            "/api/v1/services/", headers=admin.headers, json={"name": "checkout"}
        )
        assert made.status_code == 201, made.text
        await register(client, admin, k8s.url)
        await refresh(client, admin)
        k8s.pod(
            "shop",
            "checkout-7d9f-abcde",
            labels={"app.kubernetes.io/name": "checkout"},
            waiting="CrashLoopBackOff",
            restarts=2,
        )
        await refresh(client, admin)
        [alert] = await k8s_alerts(client, admin)
        assert alert["labels"]["alertname"] == "KubernetesPodBackOff"
        assert alert["title"] == (
            "Pod shop/checkout-7d9f-abcde is in CrashLoopBackOff in cluster production-cluster"
        )
        labels = alert["labels"]
        assert (labels["namespace"], labels["pod"], labels["node"]) == (
            "shop",
            "checkout-7d9f-abcde",
            "node-1",
        )
        assert labels["service"] == "checkout"
        assert alert["service"]["id"] == made.json()["id"]
        [incident] = await incidents(client, admin)
        assert incident["id"] == alert["incident"]["id"]

        k8s.pod("shop", "checkout-7d9f-abcde", labels={"app.kubernetes.io/name": "checkout"})
        await refresh(client, admin)
        [alert] = await k8s_alerts(client, admin)
        assert alert["status"] == "resolved"

    async def test_an_image_pull_back_off_of_an_unknown_service_lands_on_the_default(
        self, client, admin, k8s
    ):
        k8s.pod("shop", "cart-55c-xyz12", labels={"app": "cart"}, waiting="ImagePullBackOff")
        await register(client, admin, k8s.url)
        await refresh(client, admin)
        [alert] = await k8s_alerts(client, admin)
        assert alert["labels"]["service"] == "cart"
        assert alert["labels"]["reason"] == "ImagePullBackOff"
        assert alert["service"]["name"] == "kubernetes"

    async def test_a_deleted_crash_looping_pod_resolves_its_alert(self, client, admin, k8s):
        k8s.pod("shop", "cart-55c-xyz12", labels={"app": "cart"}, waiting="CrashLoopBackOff")
        await register(client, admin, k8s.url)
        await refresh(client, admin)
        k8s.remove_pod("shop", "cart-55c-xyz12")
        await refresh(client, admin)
        [alert] = await k8s_alerts(client, admin)
        assert alert["status"] == "resolved"


class TestRestartSpike:
    async def test_restarts_growing_by_the_threshold_raise_an_alert(self, client, admin, k8s):
        await register(client, admin, k8s.url, restart_threshold=3)
        await refresh(client, admin)
        k8s.pod("shop", "cart-55c-xyz12", labels={"app": "cart"}, restarts=2)
        await refresh(client, admin)
        assert await k8s_alerts(client, admin) == []  # 2 < 3
        k8s.pod("shop", "cart-55c-xyz12", labels={"app": "cart"}, restarts=6)
        await refresh(client, admin)
        [alert] = await k8s_alerts(client, admin)
        assert alert["status"] == "firing"
        assert alert["labels"]["alertname"] == "KubernetesPodRestartSpike"
        assert alert["labels"]["restarts"] == "6"
        assert alert["labels"]["service"] == "cart"
        pods = await client.get(
            "/api/v1/kubernetes/clusters/production-cluster/pods/",
            headers=admin.headers,
            params={"namespace": "shop"},
        )
        assert {p["name"]: p["restarts"] for p in pods.json()["pods"]}["cart-55c-xyz12"] == 6

        k8s.pod("shop", "cart-55c-xyz12", labels={"app": "cart"}, restarts=7)
        await refresh(client, admin)  # still restarting: still firing
        [alert] = await k8s_alerts(client, admin)
        assert alert["status"] == "firing"
        await refresh(client, admin)  # stable: resolved
        [alert] = await k8s_alerts(client, admin)
        assert alert["status"] == "resolved"

    async def test_a_new_pod_of_the_same_name_is_not_a_spike(self, client, admin, k8s):
        await register(client, admin, k8s.url, restart_threshold=3)
        await refresh(client, admin)
        k8s.pod("shop", "cart-55c-xyz12", labels={"app": "cart"}, restarts=9, new_uid=True)
        await refresh(client, admin)
        assert await k8s_alerts(client, admin) == []


class TestUnreachableCluster:
    async def test_an_unreachable_cluster_raises_an_alert_resolved_when_it_answers(
        self, client, admin, k8s
    ):
        await register(client, admin, f"http://127.0.0.1:{free_port()}")
        await refresh(client, admin)
        [alert] = await k8s_alerts(client, admin)
        assert alert["labels"]["alertname"] == "KubernetesClusterUnreachable"
        assert alert["labels"]["reason"] == "unreachable"
        assert alert["status"] == "firing"
        moved = await client.patch(
            "/api/v1/kubernetes/clusters/production-cluster/",
            headers=admin.headers,
            json={"api_server_url": k8s.url},
        )
        assert moved.status_code == 200, moved.text
        synced = await refresh(client, admin)
        assert synced["status"] == "connected", synced["last_error"]
        [alert] = await k8s_alerts(client, admin)
        assert alert["status"] == "resolved"


class TestDeletedCluster:
    async def test_deleting_a_cluster_resolves_its_alerts(self, client, admin, k8s):
        k8s.node("node-2", ready="False")
        k8s.pod("shop", "cart-55c-xyz12", labels={"app": "cart"}, waiting="CrashLoopBackOff")
        await register(client, admin, k8s.url)
        await refresh(client, admin)
        assert {a["status"] for a in await k8s_alerts(client, admin)} == {"firing"}
        response = await client.delete(
            "/api/v1/kubernetes/clusters/production-cluster/", headers=admin.headers
        )
        assert response.status_code == 204
        found = await k8s_alerts(client, admin)
        assert len(found) == 2
        assert {a["status"] for a in found} == {"resolved"}
