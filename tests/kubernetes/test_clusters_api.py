"""The clusters API's rules: who may do what, one organization never sees another's clusters,
bad input is a 400 in the error shape, a duplicate name a 409."""

from __future__ import annotations

import pytest

from tests.factories import make_actor
from tests.kubernetes.conftest import TOKEN
from tests.kubernetes.helpers import CLUSTERS, register

PATHS = ["", "production-cluster/", "production-cluster/nodes/", "production-cluster/pods/"]


class TestAccess:
    @pytest.mark.parametrize("path", PATHS)
    async def test_401_without_credentials(self, client, path):
        response = await client.get(f"{CLUSTERS}{path}")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"

    async def test_a_viewer_reads_but_may_neither_register_nor_refresh(
        self, client, admin, db, k8s
    ):
        await register(client, admin, k8s.url)
        viewer = await make_actor(db, org=admin.org, role="viewer")
        for path in PATHS:
            response = await client.get(f"{CLUSTERS}{path}", headers=viewer.headers)
            assert response.status_code == 200, (path, response.text)
        denied = [
            await client.post(
                CLUSTERS,
                headers=viewer.headers,
                json={"name": "x", "api_server_url": k8s.url, "token": TOKEN},
            ),
            await client.patch(
                f"{CLUSTERS}production-cluster/", headers=viewer.headers, json={"name": "y"}
            ),
            await client.delete(f"{CLUSTERS}production-cluster/", headers=viewer.headers),
            await client.post(f"{CLUSTERS}production-cluster/refresh/", headers=viewer.headers),
        ]
        assert [r.status_code for r in denied] == [403, 403, 403, 403]

    async def test_a_responder_may_refresh_but_not_register(self, client, admin, db, k8s):
        await register(client, admin, k8s.url)
        responder = await make_actor(db, org=admin.org, role="responder")
        response = await client.post(
            f"{CLUSTERS}production-cluster/refresh/", headers=responder.headers
        )
        assert response.status_code == 200
        response = await client.post(
            CLUSTERS,
            headers=responder.headers,
            json={"name": "x", "api_server_url": k8s.url, "token": TOKEN},
        )
        assert response.status_code == 403


class TestTenancy:
    @pytest.mark.parametrize("path", PATHS)
    async def test_another_organizations_cluster_is_a_404(self, client, admin, outsider, k8s, path):
        await register(client, admin, k8s.url)
        response = await client.get(f"{CLUSTERS}{path}", headers=outsider.headers)
        if path == "":
            assert response.json()["clusters"] == []
        else:
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"

    async def test_nor_may_it_be_changed_refreshed_or_deleted(self, client, admin, outsider, k8s):
        await register(client, admin, k8s.url)
        path = f"{CLUSTERS}production-cluster/"
        answers = [
            await client.patch(path, headers=outsider.headers, json={"name": "mine"}),
            await client.post(f"{path}refresh/", headers=outsider.headers),
            await client.delete(path, headers=outsider.headers),
        ]
        assert [r.status_code for r in answers] == [404, 404, 404]

    async def test_the_same_name_in_two_organizations(self, client, admin, outsider, k8s):
        await register(client, admin, k8s.url)
        await register(client, outsider, k8s.url)


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"api_server_url": "not a url", "token": TOKEN}, "api_server_url"),
            ({"api_server_url": "ftp://10.0.0.1", "token": TOKEN}, "api_server_url"),
            ({"api_server_url": "https://10.0.0.1:6443"}, "token"),
            ({"token": TOKEN}, "api_server_url"),
            (
                {"api_server_url": "https://10.0.0.1:6443", "token": TOKEN, "ca_cert": "x"},
                "ca_cert",
            ),
            ({"api_server_url": "https://k:6443", "token": TOKEN, "kubeconfig": "a: b"}, "token"),
            (
                {"api_server_url": "https://k:6443", "token": TOKEN, "owner_labels": []},
                "owner_labels",
            ),
            (
                {"api_server_url": "https://k:6443", "token": TOKEN, "sync_interval_seconds": 1},
                "sync_interval_seconds",
            ),
            ({"api_server_url": "https://k:6443", "token": TOKEN, "password": "x"}, "password"),
        ],
    )
    async def test_400_naming_the_field(self, client, admin, body, field):
        response = await client.post(CLUSTERS, headers=admin.headers, json={"name": "prod", **body})
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "validation_error"
        assert field in response.json()["details"], response.json()
        assert TOKEN not in response.text

    async def test_a_bad_name(self, client, admin):
        response = await client.post(
            CLUSTERS,
            headers=admin.headers,
            json={"name": "Prod Cluster!", "api_server_url": "https://k:6443", "token": TOKEN},
        )
        assert response.status_code == 400
        assert "name" in response.json()["details"]

    async def test_a_duplicate_name_is_a_409(self, client, admin, k8s):
        await register(client, admin, k8s.url)
        response = await client.post(
            CLUSTERS,
            headers=admin.headers,
            json={"name": "production-cluster", "api_server_url": k8s.url, "token": TOKEN},
        )
        assert response.status_code == 409
        assert response.json()["code"] == "conflict"

    async def test_renaming_onto_another_is_a_409(self, client, admin, k8s):
        await register(client, admin, k8s.url)
        await register(client, admin, k8s.url, name="staging")
        response = await client.patch(
            f"{CLUSTERS}staging/", headers=admin.headers, json={"name": "production-cluster"}
        )
        assert response.status_code == 409

    @pytest.mark.parametrize(
        "user",
        [
            "{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: /bin/sh}}",
            "{tokenFile: /etc/shadow}",
            "{auth-provider: {name: gcp}}",
            "{client-certificate: /etc/ssl/key.pem, client-key: /etc/ssl/key.pem}",
        ],
    )
    async def test_a_kubeconfig_that_runs_commands_or_reads_files_is_refused(
        self, client, admin, user
    ):
        kubeconfig = (
            "current-context: c\nclusters: [{name: c, cluster: {server: 'https://k:6443'}}]\n"
            f"contexts: [{{name: c, context: {{cluster: c, user: u}}}}]\n"
            f"users: [{{name: u, user: {user}}}]\n"
        )
        response = await client.post(
            CLUSTERS, headers=admin.headers, json={"name": "prod", "kubeconfig": kubeconfig}
        )
        assert response.status_code == 400, response.text
        assert "kubeconfig" in response.json()["details"]

    async def test_a_kubeconfig_without_the_context(self, client, admin):
        response = await client.post(
            CLUSTERS,
            headers=admin.headers,
            json={"name": "prod", "kubeconfig": "clusters: []\ncontexts: []\n"},
        )
        assert response.status_code == 400
        assert "current-context" in response.json()["message"]


class TestChange:
    async def test_patch_and_delete(self, client, admin, k8s):
        await register(client, admin, k8s.url)
        response = await client.patch(
            f"{CLUSTERS}production-cluster/",
            headers=admin.headers,
            json={"sync_interval_seconds": 300, "restart_threshold": 10, "owner_labels": ["app"]},
        )
        assert response.status_code == 200, response.text
        changed = response.json()
        assert (changed["sync_interval_seconds"], changed["restart_threshold"]) == (300, 10)
        assert changed["owner_labels"] == ["app"]
        response = await client.patch(
            f"{CLUSTERS}production-cluster/", headers=admin.headers, json={"owner_labels": None}
        )
        assert response.status_code == 400
        response = await client.delete(f"{CLUSTERS}production-cluster/", headers=admin.headers)
        assert response.status_code == 204
        response = await client.get(f"{CLUSTERS}production-cluster/", headers=admin.headers)
        assert response.status_code == 404
